import { describe, expect, it } from 'vitest';
import { parseImageReference } from '../../src/core/image-ref.js';
import { buildStatus, statusLines } from '../../src/core/status.js';
import { stepSummaryMarkdown } from '../../src/core/step-summary.js';
import type { RolloutResult } from '../../src/core/execute.js';
import { aContainer, aDeployment, anObservedState, aService, aTaskDefinition, taskDefinitionArnOf } from './builders.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('buildStatus', () => {
  const definitions = [
    aTaskDefinition({
      family: 'web',
      revision: 3,
      containers: [aContainer({ image: 'acme/web:1.0' })],
      tags: [{ key: 'ecs-roll:pushed-at', value: '1767225600' }],
    }),
    aTaskDefinition({
      family: 'api',
      revision: 1,
      containers: [aContainer({ image: `docker.io/acme/web@${DIGEST}` }), aContainer({ name: 'side', image: 'envoy:1' })],
    }),
    aTaskDefinition({ family: 'other', revision: 1, containers: [aContainer({ image: 'acme/webhook:1.0' })] }),
    aTaskDefinition({ family: 'bad', revision: 2, containers: [aContainer({ image: 'acme/web:2.0' })] }),
  ];
  const services = [
    aService({ clusterName: 'b', serviceName: 'web', taskDefinitionArn: taskDefinitionArnOf('web', 3) }),
    aService({ clusterName: 'a', serviceName: 'web', taskDefinitionArn: taskDefinitionArnOf('web', 3), runningCount: 1, desiredCount: 2 }),
    aService({ clusterName: 'a', serviceName: 'api', taskDefinitionArn: taskDefinitionArnOf('api', 1) }),
    aService({ clusterName: 'a', serviceName: 'hook', taskDefinitionArn: taskDefinitionArnOf('other', 1) }),
    aService({
      clusterName: 'a',
      serviceName: 'bad',
      taskDefinitionArn: taskDefinitionArnOf('bad', 2),
      deployments: [
        aDeployment({
          taskDefinitionArn: taskDefinitionArnOf('bad', 2),
          rolloutState: 'FAILED',
          rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
        }),
      ],
      events: [
        {
          message:
            '(service bad) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster.',
        },
      ],
    }),
  ];
  const document = buildStatus(anObservedState(services, definitions), parseImageReference('docker.io/acme/web:9'));

  it('groups by tag or digest, sorted, exactly the repository', () => {
    expect(document).toMatchObject({ kind: 'status', version: 1, repository: 'docker.io/acme/web', otherServices: 1 });
    expect(document.groups.map((group) => [group.version, group.services.map((service) => `${service.cluster}/${service.service}`)])).toEqual([
      ['1.0', ['a/web', 'b/web']],
      ['2.0', ['a/bad']],
      [DIGEST, ['a/api']],
    ]);
  });

  it('carries revision, counts, deployment state, the cause of a failed one and the push time', () => {
    expect(document.groups[0]?.services[0]).toEqual({
      cluster: 'a',
      service: 'web',
      revision: 'web:3',
      running: 1,
      desired: 2,
      deployment: 'COMPLETED',
      pushedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(document.groups[1]?.services[0]).toMatchObject({ deployment: 'FAILED', cause: 'no-capacity' });
    const lines = statusLines(document);
    expect(lines[0]).toBe('docker.io/acme/web: 4 services on 3 versions');
    expect(lines).toContain('  a/bad    bad:2     2/2      FAILED (no-capacity)  -');
  });

  it('says so when nothing runs the image', () => {
    const none = buildStatus(anObservedState(services, definitions), parseImageReference('acme/nothing'));
    expect(none.groups).toEqual([]);
    expect(statusLines(none)).toEqual(['Nothing runs docker.io/acme/nothing (5 services looked at).']);
  });
});

describe('stepSummaryMarkdown', () => {
  it('one row per service that was to move, the cause, then the hints; pipes escaped', () => {
    const result: RolloutResult = {
      version: 2,
      kind: 'rollout-result',
      target: { image: 'acme/web:1.1', repository: 'docker.io/acme/web', tag: '1.1' } as RolloutResult['target'],
      ok: false,
      registrations: [],
      services: [
        {
          cluster: 'prod',
          service: 'web',
          action: 'update',
          oldTaskDefinitionArn: taskDefinitionArnOf('web', 1),
          newTaskDefinitionArn: taskDefinitionArnOf('web', 2),
          outcome: 'rolled-back',
          diagnosis: { cause: 'image-pull', summary: 'Tasks could not pull | the image.', hint: 'Check the tag.', evidence: [] },
        },
        { cluster: 'prod', service: 'api', action: 'none', oldTaskDefinitionArn: taskDefinitionArnOf('api', 1), outcome: 'unchanged' },
      ],
    };
    const markdown = stepSummaryMarkdown(result);
    expect(markdown).toContain('| prod/web | web:1 → web:2 | rolled-back | image-pull |');
    expect(markdown).not.toContain('prod/api');
    expect(markdown).toContain('- **prod/web** (image-pull): Tasks could not pull \\| the image. Check the tag.');
  });
});
