import { describe, expect, it } from 'vitest';
import { PLAN_VERSION, planRollout, type DeploymentPlan } from '../../src/core/plan.js';
import { imageChanges } from '../../src/core/plan-services.js';
import { aContainer, aRequest, aService, aTaskDefinition, anObservedState, targetOf, taskDefinitionArnOf } from './builders.js';

/** True when carrying out the plan would change nothing: no registration, and every service kept or skipped. */
function planIsEmpty(plan: DeploymentPlan): boolean {
  return plan.registrations.length === 0 && plan.services.every((service) => service.action === 'none' || service.action === 'skip');
}

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const ECR = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

const web1 = aTaskDefinition({ family: 'web', revision: 1, containers: [aContainer({ name: 'app', image: 'nginx:1' })] });
const api3 = aTaskDefinition({ family: 'api', revision: 3, containers: [aContainer({ name: 'api', image: 'acme/api:5' })] });

const byName = (plan: DeploymentPlan, service: string) => {
  const found = plan.services.find((planned) => planned.service === service);
  if (found === undefined) throw new Error(`no ${service} in plan`);
  return found;
};

describe('planRollout', () => {
  it('shares one registration between services on the same revision', () => {
    const state = anObservedState(
      [
        aService({ clusterName: 'prod', serviceName: 'web', taskDefinitionArn: web1.arn }),
        aService({ clusterName: 'prod', serviceName: 'web-canary', taskDefinitionArn: web1.arn }),
        aService({ clusterName: 'staging', serviceName: 'web', taskDefinitionArn: web1.arn }),
      ],
      [web1],
    );
    const plan = planRollout(state, aRequest('nginx:2'));
    expect(plan.registrations).toHaveLength(1);
    expect(plan.registrations[0]).toMatchObject({ sourceTaskDefinitionArn: web1.arn, family: 'web', idleFamily: false });
    expect(plan.registrations[0]?.changes).toEqual([{ container: 'app', from: 'nginx:1', to: 'nginx:2' }]);
    expect(plan.services.map((planned) => [planned.action, planned.registration])).toEqual([
      ['update', web1.arn],
      ['update', web1.arn],
      ['update', web1.arn],
    ]);
  });

  it('registers one revision per distinct source revision', () => {
    const web2 = aTaskDefinition({ family: 'web', revision: 2, containers: [aContainer({ name: 'app', image: 'nginx:1.5' })] });
    const state = anObservedState(
      [aService({ serviceName: 'a', taskDefinitionArn: web1.arn }), aService({ serviceName: 'b', taskDefinitionArn: web2.arn })],
      [web1, web2],
    );
    const plan = planRollout(state, aRequest('nginx:2'));
    expect(plan.registrations.map((registration) => registration.sourceTaskDefinitionArn).sort()).toEqual([web1.arn, web2.arn].sort());
    expect(byName(plan, 'b').registration).toBe(web2.arn);
  });

  it('counts services on another repository as unaffected and leaves them out', () => {
    const state = anObservedState(
      [
        aService({ serviceName: 'web', taskDefinitionArn: web1.arn }),
        aService({ serviceName: 'api', taskDefinitionArn: api3.arn }),
        aService({ serviceName: 'ghost', taskDefinitionArn: taskDefinitionArnOf('ghost', 1) }),
      ],
      [web1, api3],
    );
    const plan = planRollout(state, aRequest('nginx:2'));
    expect(plan.services.map((planned) => planned.service)).toEqual(['web']);
    expect(plan.unaffectedServices).toBe(2);
    expect(plan.registrations.map((registration) => registration.family)).toEqual(['web']);
  });

  it.each([
    { running: 'acme/webhook:1', target: 'acme/web:2' },
    { running: 'acme/web:1', target: 'acme/webhook:2' },
    { running: `${ECR}/acme/web:1`, target: 'acme/web:2' },
    { running: 'acme/web:1', target: `${ECR}/acme/web:2` },
    { running: 'nginx-unprivileged:1', target: 'nginx:2' },
    { running: 'acme/web/api:1', target: 'acme/web:2' },
    { running: '${IMAGE}', target: 'acme/web:2' },
  ])('does not match $running for target $target', ({ running, target }) => {
    const definition = aTaskDefinition({ containers: [aContainer({ image: running })] });
    const plan = planRollout(anObservedState([aService({ taskDefinitionArn: definition.arn })], [definition]), aRequest(target));
    expect(plan.services).toEqual([]);
    expect(plan.registrations).toEqual([]);
    expect(plan.unaffectedServices).toBe(1);
  });

  it.each([
    { running: 'nginx:1', target: 'docker.io/library/nginx:2', to: 'nginx:2' },
    { running: 'docker.io/library/nginx:1', target: 'nginx:2', to: 'docker.io/library/nginx:2' },
    { running: 'index.docker.io/library/nginx', target: 'library/nginx:2', to: 'index.docker.io/library/nginx:2' },
    { running: `${ECR}/acme/web:1`, target: `${ECR}/acme/web:2`, to: `${ECR}/acme/web:2` },
    { running: 'nginx:1', target: `nginx@${DIGEST}`, to: `nginx@${DIGEST}` },
    { running: 'nginx:1', target: `nginx:2@${DIGEST}`, to: `nginx:2@${DIGEST}` },
  ])('matches $running for $target and moves it to $to', ({ running, target, to }) => {
    const definition = aTaskDefinition({ containers: [aContainer({ name: 'app', image: running })] });
    const plan = planRollout(anObservedState([aService({ taskDefinitionArn: definition.arn })], [definition]), aRequest(target));
    expect(plan.services[0]?.action).toBe('update');
    expect(plan.registrations[0]?.changes).toEqual([{ container: 'app', from: running, to }]);
    expect(plan.registrations[0]?.input.containerDefinitions[0]?.image).toBe(to);
  });

  it('puts the digest into the plan target', () => {
    const plan = planRollout(anObservedState([], []), aRequest(`nginx@${DIGEST}`));
    expect(plan.target).toEqual({ image: `nginx@${DIGEST}`, repository: 'docker.io/library/nginx', digest: DIGEST });
  });

  it.each([{ spelling: 'nginx:2' }, { spelling: 'docker.io/library/nginx:2' }])(
    'a service already on the tag ($spelling) is none, and redeploy with force',
    ({ spelling }) => {
      const definition = aTaskDefinition({ containers: [aContainer({ image: spelling })] });
      const state = anObservedState([aService({ taskDefinitionArn: definition.arn })], [definition]);

      const plain = planRollout(state, aRequest('nginx:2'));
      expect(plain.services[0]).toMatchObject({ action: 'none', taskDefinitionArn: definition.arn });
      expect(plain.services[0]?.reason).toContain('2');
      expect(plain.services[0]?.registration).toBeUndefined();
      expect(plain.registrations).toEqual([]);

      const forced = planRollout(state, aRequest('nginx:2', { force: true }));
      expect(forced.services[0]).toMatchObject({ action: 'redeploy', taskDefinitionArn: definition.arn });
      expect(forced.services[0]?.reason).toContain('--force');
      expect(forced.registrations).toEqual([]);
    },
  );

  it.each([
    { case: 'CODE_DEPLOY controller', overrides: { deploymentController: 'CODE_DEPLOY' as const }, reason: /CODE_DEPLOY/ },
    { case: 'EXTERNAL controller', overrides: { deploymentController: 'EXTERNAL' as const }, reason: /EXTERNAL/ },
    { case: 'DRAINING service', overrides: { status: 'DRAINING' }, reason: /DRAINING/ },
  ])('skips a $case with a reason and registers nothing for it', ({ overrides, reason }) => {
    const state = anObservedState([aService({ taskDefinitionArn: web1.arn, ...overrides })], [web1]);
    const plan = planRollout(state, aRequest('nginx:2'));
    expect(plan.services).toHaveLength(1);
    expect(plan.services[0]?.action).toBe('skip');
    expect(plan.services[0]?.reason).toMatch(reason);
    expect(plan.registrations).toEqual([]);
    expect(planIsEmpty(plan)).toBe(true);
  });

  it('skips even with force', () => {
    const state = anObservedState([aService({ taskDefinitionArn: web1.arn, deploymentController: 'CODE_DEPLOY' })], [web1]);
    expect(planRollout(state, aRequest('nginx:1', { force: true })).services[0]?.action).toBe('skip');
  });

  it('changes only the container that runs the image in a two-container task definition', () => {
    const definition = aTaskDefinition({
      containers: [aContainer({ name: 'sidecar', image: 'envoyproxy/envoy:v1.30' }), aContainer({ name: 'app', image: 'acme/web:1' })],
    });
    const plan = planRollout(anObservedState([aService({ taskDefinitionArn: definition.arn })], [definition]), aRequest('acme/web:2'));
    expect(plan.services[0]?.changes).toEqual([{ container: 'app', from: 'acme/web:1', to: 'acme/web:2' }]);
    expect(plan.registrations[0]?.input.containerDefinitions.map((container) => [container.name, container.image])).toEqual([
      ['sidecar', 'envoyproxy/envoy:v1.30'],
      ['app', 'acme/web:2'],
    ]);
  });

  it('updates when one of two containers on the image is behind', () => {
    const definition = aTaskDefinition({
      containers: [aContainer({ name: 'a', image: 'nginx:2' }), aContainer({ name: 'b', image: 'nginx:1' })],
    });
    const plan = planRollout(anObservedState([aService({ taskDefinitionArn: definition.arn })], [definition]), aRequest('nginx:2'));
    expect(plan.services[0]?.action).toBe('update');
    expect(plan.registrations[0]?.input.containerDefinitions.map((container) => container.image)).toEqual(['nginx:2', 'nginx:2']);
  });

  it('carries the service’s deployment settings into the plan', () => {
    const service = aService({
      taskDefinitionArn: web1.arn,
      desiredCount: 6,
      minimumHealthyPercent: 50,
      maximumPercent: 150,
      schedulingStrategy: 'DAEMON',
    });
    const planned = planRollout(anObservedState([service], [web1]), aRequest('nginx:2')).services[0];
    expect(planned).toMatchObject({
      cluster: 'prod',
      clusterArn: service.clusterArn,
      service: 'web',
      serviceArn: service.serviceArn,
      taskDefinitionArn: web1.arn,
      desiredCount: 6,
      minimumHealthyPercent: 50,
      maximumPercent: 150,
      schedulingStrategy: 'DAEMON',
    });
  });

  it('registers idle families with idleFamily true, and not the ones already on the target or on another image', () => {
    const idleOld = aTaskDefinition({ family: 'batch', revision: 4, containers: [aContainer({ image: 'nginx:1' })] });
    const idleCurrent = aTaskDefinition({ family: 'cron', revision: 2, containers: [aContainer({ image: 'nginx:2' })] });
    const idleOther = aTaskDefinition({ family: 'other', revision: 9, containers: [aContainer({ image: 'redis:7' })] });
    const state = anObservedState([aService({ taskDefinitionArn: web1.arn })], [web1], [idleOld, idleCurrent, idleOther]);
    const plan = planRollout(state, aRequest('nginx:2'));
    expect(plan.registrations.map((registration) => [registration.family, registration.idleFamily])).toEqual([
      ['web', false],
      ['batch', true],
    ]);
    expect(plan.services).toHaveLength(1);
    expect(planIsEmpty(planRollout(anObservedState([], [], [idleOld]), aRequest('nginx:2')))).toBe(false);
  });

  it('is plain JSON with version 1', () => {
    const state = anObservedState(
      [
        aService({ serviceName: 'web', taskDefinitionArn: web1.arn }),
        aService({ serviceName: 'legacy', taskDefinitionArn: web1.arn, deploymentController: 'CODE_DEPLOY' }),
        aService({ serviceName: 'api', taskDefinitionArn: api3.arn }),
      ],
      [web1, api3],
    );
    const plan = planRollout(state, aRequest(`nginx:2@${DIGEST}`));
    expect(plan.version).toBe(1);
    expect(PLAN_VERSION).toBe(1);
    expect(plan.kind).toBe('rollout');
    expect(JSON.parse(JSON.stringify(plan))).toStrictEqual(plan);
  });

  it('orders services by cluster then service whatever the input order, and gives the same plan for the same state', () => {
    const services = [
      aService({ clusterName: 'staging', serviceName: 'web', taskDefinitionArn: web1.arn }),
      aService({ clusterName: 'prod', serviceName: 'worker', taskDefinitionArn: web1.arn }),
      aService({ clusterName: 'prod', serviceName: 'api', taskDefinitionArn: web1.arn }),
      aService({ clusterName: 'canary', serviceName: 'web', taskDefinitionArn: web1.arn }),
    ];
    const plan = planRollout(anObservedState(services, [web1]), aRequest('nginx:2'));
    expect(plan.services.map((planned) => `${planned.cluster}/${planned.service}`)).toEqual(['canary/web', 'prod/api', 'prod/worker', 'staging/web']);
    expect(planRollout(anObservedState(services, [web1]), aRequest('nginx:2'))).toEqual(plan);
    expect(planRollout(anObservedState([...services].reverse(), [web1]), aRequest('nginx:2')).services).toEqual(plan.services);
  });

  it('orders registrations independently of the order services were discovered in', () => {
    // ListServices promises no order, so two discoveries of unchanged state can list services
    // differently; the plan (and `--dry-run --json`) should not change with it.
    const apiOnNginx = aTaskDefinition({ family: 'api', revision: 3, containers: [aContainer({ name: 'api', image: 'nginx:1' })] });
    const services = [
      aService({ clusterName: 'prod', serviceName: 'web', taskDefinitionArn: web1.arn }),
      aService({ clusterName: 'prod', serviceName: 'api', taskDefinitionArn: apiOnNginx.arn }),
    ];
    const forward = planRollout(anObservedState(services, [web1, apiOnNginx]), aRequest('nginx:2'));
    const backward = planRollout(anObservedState([...services].reverse(), [web1, apiOnNginx]), aRequest('nginx:2'));
    expect(forward.registrations).toHaveLength(2);
    expect(backward).toEqual(forward);
  });

  it('does not change the state it is given', () => {
    const state = anObservedState([aService({ taskDefinitionArn: web1.arn })], [web1]);
    const before = structuredClone(state);
    planRollout(state, aRequest('nginx:2'));
    expect(state).toEqual(before);
  });
});

describe('planIsEmpty', () => {
  it.each([
    { case: 'no services', services: [], expected: true },
    { case: 'all none', services: [{ image: 'nginx:2' }], expected: true },
    { case: 'an update', services: [{ image: 'nginx:1' }], expected: false },
    { case: 'a skip', services: [{ image: 'nginx:1', status: 'DRAINING' }], expected: true },
    { case: 'a redeploy', services: [{ image: 'nginx:2' }], force: true, expected: false },
  ])('$case → $expected', ({ services, force, expected }) => {
    const definitions = services.map((service, index) =>
      aTaskDefinition({ family: `f${index}`, containers: [aContainer({ image: service.image })] }),
    );
    const snapshots = services.map((service, index) =>
      aService({
        serviceName: `s${index}`,
        taskDefinitionArn: definitions[index]?.arn ?? '',
        ...('status' in service ? { status: service.status } : {}),
      }),
    );
    expect(planIsEmpty(planRollout(anObservedState(snapshots, definitions), aRequest('nginx:2', { force: force ?? false })))).toBe(expected);
  });
});

describe('imageChanges', () => {
  it('ignores containers without a string name or image', () => {
    const definition = aTaskDefinition({
      fields: {
        containerDefinitions: [{ name: 'a' }, { image: 'nginx:1' }, { name: 'b', image: 42 }, { name: 'c', image: 'nginx:1' }],
      },
    });
    expect(imageChanges(definition, targetOf('nginx:2'))).toEqual([{ container: 'c', from: 'nginx:1', to: 'nginx:2' }]);
  });

  it('returns nothing when containerDefinitions is missing', () => {
    const definition = aTaskDefinition({ fields: { containerDefinitions: undefined } });
    expect(imageChanges(definition, targetOf('nginx:2'))).toEqual([]);
  });
});
