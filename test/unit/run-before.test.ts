import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { planRollout } from '../../src/core/plan.js';
import { parseRunBeforeSpec, splitShellWords } from '../../src/core/run-before.js';
import { aContainer, anObservedState, aRequest, aService, aTaskDefinition, clusterArnOf, taskDefinitionArnOf } from './builders.js';

describe('splitShellWords', () => {
  it.each([
    ['bin/migrate --safe', ['bin/migrate', '--safe']],
    ['  bin/migrate   --safe  ', ['bin/migrate', '--safe']],
    [`sh -c 'echo a, b && exit 3'`, ['sh', '-c', 'echo a, b && exit 3']],
    [`echo "say \\"hi\\" \\$HOME" '$HOME'`, ['echo', 'say "hi" $HOME', '$HOME']],
    [`a\\ b c`, ['a b', 'c']],
    [`""`, ['']],
    [`pre'fix'"ed"`, ['prefixed']],
    [`"back\\slash"`, ['back\\slash']],
  ])('%s', (text, words) => {
    expect(splitShellWords(text)).toEqual(words);
  });

  it.each([[`echo 'open`], [`echo "open`], [`trailing\\`]])('refuses %s as a usage error', (text) => {
    expect(() => splitShellWords(text)).toThrow(UsageError);
  });
});

describe('parseRunBeforeSpec', () => {
  it.each([
    ['service=web,container=app,command=bin/migrate --safe', { service: 'web', container: 'app', command: ['bin/migrate', '--safe'] }],
    [
      'container=app, service=prod/web, command=rake db:migrate',
      { cluster: 'prod', service: 'web', container: 'app', command: ['rake', 'db:migrate'] },
    ],
    // The command takes the rest of the spec, commas included.
    [`service=web,container=app,command=sh -c 'a,b'`, { service: 'web', container: 'app', command: ['sh', '-c', 'a,b'] }],
  ])('%s', (text, expected) => {
    expect(parseRunBeforeSpec(text)).toEqual({ text, ...expected });
  });

  it.each([
    ['migrate', /is not key=value/],
    ['service=web,container=app', /command is missing/],
    ['service=web,command=x', /container is missing/],
    ['container=app,command=x', /service is missing/],
    ['service=web,container=app,command=   ', /command is missing/],
    [`service=web,container=app,command=''`, /the command is empty|command is missing/],
    ['service=web,service=api,container=app,command=x', /service is given twice/],
    ['service=web,image=x,container=app,command=x', /unknown key "image"/],
    ['service=a/b/c,container=app,command=x', /service must be NAME or CLUSTER\/NAME/],
    ['service=/web,container=app,command=x', /service must be NAME or CLUSTER\/NAME/],
  ])('refuses %s', (text, message) => {
    expect(() => parseRunBeforeSpec(text)).toThrow(UsageError);
    expect(() => parseRunBeforeSpec(text)).toThrow(message);
  });
});

describe('planning run-before steps', () => {
  const web = aTaskDefinition({
    family: 'web',
    containers: [
      aContainer({
        name: 'app',
        image: 'acme/web:1.0',
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-group': '/ecs/web', 'awslogs-stream-prefix': 'web', 'awslogs-region': 'eu-west-1' },
        },
      }),
      aContainer({ name: 'sidecar', image: 'envoy:1', essential: false }),
    ],
  });
  const api = aTaskDefinition({ family: 'api', containers: [aContainer({ name: 'api', image: 'acme/api:1.0' })] });
  const network = { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' } };
  const state = anObservedState(
    [
      aService({ serviceName: 'web', taskDefinitionArn: web.arn, launchType: 'FARGATE', platformVersion: '1.4.0', networkConfiguration: network }),
      aService({ serviceName: 'api', taskDefinitionArn: api.arn, capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] }),
      aService({ clusterName: 'staging', serviceName: 'web', taskDefinitionArn: web.arn, launchType: 'EC2' }),
    ],
    [web, api],
  );
  const plan = (image: string, specs: string[], extra: { ignore?: boolean } = {}) =>
    planRollout(state, {
      ...aRequest(image),
      runBefore: specs.map(parseRunBeforeSpec),
      ...(extra.ignore ? { runBeforeIgnoresOtherImages: true } : {}),
    });

  it('runs the new revision of the named service with its launch, platform version and network, in the given order', () => {
    const planned = plan('acme/web:2.0', [
      'service=prod/web,container=app,command=bin/migrate --safe',
      'service=staging/web,container=app,command=bin/seed',
    ]);
    expect(planned.runsBefore).toEqual([
      {
        step: 1,
        spec: 'service=prod/web,container=app,command=bin/migrate --safe',
        cluster: 'prod',
        clusterArn: clusterArnOf('prod'),
        service: 'web',
        container: 'app',
        command: ['bin/migrate', '--safe'],
        family: 'web',
        registration: taskDefinitionArnOf('web', 1),
        launch: { launchType: 'FARGATE', platformVersion: '1.4.0', networkConfiguration: network },
        essentialContainers: ['app'],
        logs: [{ container: 'app', group: '/ecs/web', streamPrefix: 'web', region: 'eu-west-1' }],
      },
      expect.objectContaining({ step: 2, cluster: 'staging', launch: { launchType: 'EC2' }, command: ['bin/seed'] }),
    ]);
    // The run uses the registration the services move to: the same new revision.
    expect(planned.registrations.map((registration) => registration.sourceTaskDefinitionArn)).toContain(planned.runsBefore?.[0]?.registration);
  });

  it('launches with the capacity provider strategy, never with a launch type beside it', () => {
    const planned = plan('acme/api:2.0', ['service=api,container=api,command=migrate']);
    expect(planned.runsBefore?.[0]?.launch).toEqual({ capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] });
  });

  it.each([
    [['service=api,container=api,command=x'], 'acme/web:2.0', /service api does not run this image/],
    [['service=nope,container=app,command=x'], 'acme/web:2.0', /no service nope among the services looked at/],
    [['service=web,container=app,command=x'], 'acme/web:2.0', /web is in several clusters \(prod, staging\); write service=CLUSTER\/web/],
    [['service=prod/web,container=worker,command=x'], 'acme/web:2.0', /web:1 has no container "worker" \(it has app, sidecar\)/],
  ])('refuses %j before any change', (specs, image, message) => {
    expect(() => plan(image, specs)).toThrow(UsageError);
    expect(() => plan(image, specs)).toThrow(message);
  });

  it('leaves out, in webhook mode, a spec whose service this image does not run', () => {
    expect(
      plan('acme/api:2.0', ['service=prod/web,container=app,command=x', 'service=api,container=api,command=y'], { ignore: true }).runsBefore,
    ).toEqual([expect.objectContaining({ step: 1, service: 'api', command: ['y'] })]);
  });

  it('plans no run for a service already on the target', () => {
    const [run] = plan('acme/web:1.0', ['service=prod/web,container=app,command=x']).runsBefore ?? [];
    expect(run?.skipReason).toMatch(/does not move in this rollout \(already on 1.0\)/);
    expect(run?.registration).toBeUndefined();
  });

  it('has no run-before steps unless asked', () => {
    expect(planRollout(state, aRequest('acme/web:2.0'))).not.toHaveProperty('runsBefore');
  });
});
