import { describe, expect, it } from 'vitest';
import type { RolloutEvent } from '../../src/core/events.js';
import { executeRollout, type ExecuteOptions, type RolloutResult } from '../../src/core/execute.js';
import type { DeploymentStrategy, TaskDefinitionSnapshot } from '../../src/core/model.js';
import { planRollout, type Strategy } from '../../src/core/plan.js';
import type { UpdateServiceRequest } from '../../src/core/ports.js';
import { minimumHealthyTasks } from '../../src/core/replace.js';
import type { RegisterTaskDefinitionInput } from '../../src/core/task-definition.js';
import { aContainer, aRequest, aService, aTaskDefinition, anObservedState, clusterArnOf, taskArnOf, taskDefinitionArnOf } from './builders.js';
import { CIRCUIT_BREAKER, FakeClock, FakeEcs, type Script } from '../fakes.js';

// The executor runs against FakeEcs (test/fakes.ts): ECS scripted per test at the EcsPort seam.

interface ServiceSpec {
  readonly name: string;
  readonly cluster?: string;
  readonly family?: string;
  readonly image?: string;
  readonly desired?: number;
  readonly minimumHealthyPercent?: number;
  readonly scripts?: Script[];
  readonly pollsToSettle?: number;
  readonly runTasks?: boolean;
  readonly strategy?: DeploymentStrategy;
}

const DEFAULTS: ExecuteOptions = { wait: true, timeoutMs: 900_000, pollIntervalMs: 10_000, rollback: true, concurrency: 4 };

/** Services on nginx:1 (each on revision 1 of its family), a plan to move them to nginx:2, and the fakes to run it on. */
function scenario(specs: readonly ServiceSpec[], request: { strategy?: Strategy; force?: boolean } = {}) {
  const clock = new FakeClock({ start: 1_000_000 });
  const ecs = new FakeEcs(clock);
  const definitions = new Map<string, TaskDefinitionSnapshot>();
  const snapshots = specs.map((spec) => {
    const definition = aTaskDefinition({
      family: spec.family ?? spec.name,
      revision: 1,
      containers: [aContainer({ name: 'app', image: spec.image ?? 'nginx:1' })],
    });
    definitions.set(definition.arn, definition);
    const snapshot = aService({
      clusterName: spec.cluster ?? 'prod',
      serviceName: spec.name,
      taskDefinitionArn: definition.arn,
      desiredCount: spec.desired ?? 2,
      minimumHealthyPercent: spec.minimumHealthyPercent ?? 100,
      ...(spec.strategy === undefined ? {} : { deploymentStrategy: spec.strategy, stagedWaits: { bakeTimeInMinutes: 5 } }),
    });
    ecs.add(snapshot, {
      ...(spec.scripts === undefined ? {} : { scripts: spec.scripts }),
      ...(spec.pollsToSettle === undefined ? {} : { pollsToSettle: spec.pollsToSettle }),
      ...(spec.runTasks === undefined ? {} : { runTasks: spec.runTasks }),
    });
    return snapshot;
  });
  const plan = planRollout(anObservedState(snapshots, [...definitions.values()]), aRequest('nginx:2', request));
  const events: RolloutEvent[] = [];
  const run = (options: Partial<ExecuteOptions> = {}) =>
    executeRollout(plan, { ecs, clock, emit: (event) => events.push(event) }, { ...DEFAULTS, ...options });
  return { ecs, clock, events, plan, run };
}

function outcomeOf(result: RolloutResult, service: string) {
  const found = result.services.find((outcome) => outcome.service === service);
  if (found === undefined) throw new Error(`no outcome for ${service}`);
  return found;
}

const updateRequests = (ecs: FakeEcs) => ecs.callsTo('updateService').map((call) => call.args[0] as UpdateServiceRequest);

describe('executeRollout: registering and updating', () => {
  it('registers each planned registration exactly once, before any service is updated', async () => {
    const { ecs, plan, run } = scenario([
      { name: 'web', family: 'web' },
      { name: 'web-canary', family: 'web' },
      { name: 'api', family: 'api' },
    ]);
    expect(plan.registrations).toHaveLength(2);
    const result = await run();

    const registrations = ecs.callsTo('registerTaskDefinition').map((call) => call.args[0] as RegisterTaskDefinitionInput);
    expect(registrations.map((input) => input.family).sort()).toEqual(['api', 'web']);
    expect(registrations.every((input) => input.containerDefinitions[0]?.image === 'nginx:2')).toBe(true);
    const firstUpdate = ecs.calls.findIndex((call) => call.method === 'updateService');
    const lastRegistration = ecs.calls.findLastIndex((call) => call.method === 'registerTaskDefinition');
    expect(lastRegistration).toBeLessThan(firstUpdate);
    expect(result.registrations).toEqual(
      expect.arrayContaining([
        { family: 'web', from: taskDefinitionArnOf('web', 1), to: taskDefinitionArnOf('web', 2) },
        { family: 'api', from: taskDefinitionArnOf('api', 1), to: taskDefinitionArnOf('api', 2) },
      ]),
    );
    expect(result.registrations).toHaveLength(2);
  });

  it('points each service at its new revision and records the deployment id UpdateService answered with', async () => {
    const { ecs, run } = scenario([
      { name: 'web', family: 'web' },
      { name: 'web-canary', family: 'web' },
      { name: 'api', family: 'api', cluster: 'staging' },
    ]);
    const result = await run();

    expect(updateRequests(ecs).sort((a, b) => a.service.localeCompare(b.service))).toEqual([
      { cluster: clusterArnOf('staging'), service: 'api', taskDefinitionArn: taskDefinitionArnOf('api', 2) },
      { cluster: clusterArnOf('prod'), service: 'web', taskDefinitionArn: taskDefinitionArnOf('web', 2) },
      { cluster: clusterArnOf('prod'), service: 'web-canary', taskDefinitionArn: taskDefinitionArnOf('web', 2) },
    ]);
    expect(result.ok).toBe(true);
    expect(result.version).toBe(2);
    for (const outcome of result.services) {
      const fake = ecs.service(clusterArnOf(outcome.cluster), outcome.service);
      expect(outcome.outcome).toBe('completed');
      expect(outcome.deploymentId).toBe(fake.snapshot.deployments[0]?.id);
      expect(outcome.deploymentId).toMatch(/^ecs-svc\/\d{19}$/);
      expect(outcome.oldTaskDefinitionArn).toBe(taskDefinitionArnOf(outcome.service === 'api' ? 'api' : 'web', 1));
      expect(outcome.newTaskDefinitionArn).toBe(taskDefinitionArnOf(outcome.service === 'api' ? 'api' : 'web', 2));
    }
    // Distinct deployments, one per service.
    expect(new Set(result.services.map((outcome) => outcome.deploymentId)).size).toBe(3);
  });

  it('with wait false answers updated without describing or sleeping', async () => {
    const { ecs, clock, run } = scenario([{ name: 'web' }, { name: 'api' }]);
    const result = await run({ wait: false });
    expect(result.services.map((outcome) => outcome.outcome)).toEqual(['updated', 'updated']);
    expect(result.ok).toBe(true);
    expect(ecs.callsTo('describeServices')).toEqual([]);
    expect(clock.sleeps).toEqual([]);
    expect(result.services.every((outcome) => outcome.deploymentId !== undefined)).toBe(true);
  });

  it('leaves unchanged and skipped services alone and reports them as such', async () => {
    const { ecs, run } = scenario([{ name: 'web' }, { name: 'current', image: 'nginx:2' }]);
    const result = await run();
    expect(outcomeOf(result, 'current').outcome).toBe('unchanged');
    expect(updateRequests(ecs).map((request) => request.service)).toEqual(['web']);
    expect(result.ok).toBe(true);
  });

  it('redeploys services already on the target with forceNewDeployment and the same revision', async () => {
    const { ecs, run } = scenario([{ name: 'current', image: 'nginx:2' }], { force: true });
    const result = await run();
    expect(ecs.callsTo('registerTaskDefinition')).toEqual([]);
    expect(updateRequests(ecs)).toEqual([
      { cluster: clusterArnOf('prod'), service: 'current', taskDefinitionArn: taskDefinitionArnOf('current', 1), forceNewDeployment: true },
    ]);
    expect(outcomeOf(result, 'current').outcome).toBe('completed');
  });

  it('a refused registration changes no service: no UpdateService at all, every service not-started', async () => {
    const { ecs, run } = scenario([{ name: 'web' }, { name: 'api' }, { name: 'worker' }]);
    ecs.failRegistrationOf.add('api');
    const result = await run({ concurrency: 1 });
    expect(ecs.callsTo('updateService')).toEqual([]);
    expect(ecs.callsTo('describeServices')).toEqual([]);
    expect(result.ok).toBe(false);
    for (const outcome of result.services) {
      expect(outcome.outcome).toBe('not-started');
      expect(outcome.reason).toContain('too many revisions of api');
      expect(outcome.newTaskDefinitionArn).toBeUndefined();
    }
  });

  it('an UpdateService refusal fails that service and rolls back the others', async () => {
    const { ecs, run } = scenario([{ name: 'api' }, { name: 'web' }]);
    ecs.failUpdateOf.add('web');
    const result = await run();
    expect(outcomeOf(result, 'web')).toMatchObject({ outcome: 'failed' });
    expect(outcomeOf(result, 'web').reason).toContain('AccessDeniedException');
    expect(outcomeOf(result, 'api').outcome).toBe('rolled-back');
    expect(result.ok).toBe(false);
  });
});

describe('executeRollout: waiting', () => {
  it('sleeps the poll interval before each poll and polls until the deployment completes', async () => {
    const { ecs, clock, run } = scenario([{ name: 'web', pollsToSettle: 3 }]);
    const result = await run({ pollIntervalMs: 10_000 });
    expect(outcomeOf(result, 'web').outcome).toBe('completed');
    expect(clock.sleeps).toEqual([10_000, 10_000, 10_000]);
    expect(ecs.callsTo('describeServices').map((call) => call.poll)).toEqual([1, 2, 3]);
  });

  it.each([
    { cluster: 'one cluster, 25 services', layout: [['prod', 25]] as const, perPoll: 3 },
    { cluster: 'one cluster, 10 services', layout: [['prod', 10]] as const, perPoll: 1 },
    {
      cluster: 'two clusters, 12 + 3 services',
      layout: [
        ['prod', 12],
        ['staging', 3],
      ] as const,
      perPoll: 3,
    },
  ])('calls DescribeServices once per ≤10 services per cluster per poll ($cluster)', async ({ layout, perPoll }) => {
    const specs = layout.flatMap(([cluster, count]) =>
      Array.from({ length: count }, (_, index) => ({ name: `svc-${String(index).padStart(2, '0')}`, cluster, family: 'shared', pollsToSettle: 2 })),
    );
    const { ecs, clock, run } = scenario(specs);
    const result = await run();
    expect(result.ok).toBe(true);
    expect(clock.sleeps).toHaveLength(2);

    const describes = ecs.callsTo('describeServices');
    for (const poll of [1, 2]) {
      const calls = describes.filter((call) => call.poll === poll);
      expect(calls).toHaveLength(perPoll);
      const named = calls.flatMap((call) => (call.args[1] as string[]).map((name) => `${String(call.args[0])}/${name}`));
      expect(named.sort()).toEqual(specs.map((spec) => `${clusterArnOf(spec.cluster)}/${spec.name}`).sort());
      for (const call of calls) expect((call.args[1] as string[]).length).toBeLessThanOrEqual(10);
    }
    expect(describes).toHaveLength(2 * perPoll);
  });

  it('stops asking about services that have finished', async () => {
    const { ecs, run } = scenario([
      { name: 'fast', pollsToSettle: 1 },
      { name: 'slow', pollsToSettle: 3 },
    ]);
    await run();
    const named = ecs.callsTo('describeServices').map((call) => [call.poll, ...(call.args[1] as string[])]);
    expect(named).toEqual([
      [1, 'fast', 'slow'],
      [2, 'slow'],
      [3, 'slow'],
    ]);
  });

  it('a deployment that ECS rolled back (gone, service stable on the old revision) is failed', async () => {
    const { run } = scenario([{ name: 'web', scripts: ['vanish'] }]);
    const result = await run({ rollback: false });
    expect(outcomeOf(result, 'web').outcome).toBe('failed');
    expect(outcomeOf(result, 'web').reason).toContain('web:1');
    expect(result.ok).toBe(false);
  });

  it('times out with the reason carrying ECS’s "unable to place" event, never sleeping past the deadline', async () => {
    const { clock, run } = scenario([{ name: 'web', scripts: ['stuck'] }]);
    const result = await run({ timeoutMs: 25_000, pollIntervalMs: 10_000, rollback: false });
    const outcome = outcomeOf(result, 'web');
    expect(outcome.outcome).toBe('timed-out');
    expect(outcome.reason).toContain('unable to place a task because no container instance met all of its requirements');
    expect(outcome.reason).toContain('25 s');
    expect(clock.sleeps).toEqual([10_000, 10_000, 5_000]);
    expect(result.ok).toBe(false);
  });

  it('times out without an ECS explanation when there is none', async () => {
    const { run } = scenario([{ name: 'web', pollsToSettle: 1_000 }]);
    const result = await run({ timeoutMs: 20_000, rollback: false });
    expect(outcomeOf(result, 'web').outcome).toBe('timed-out');
    expect(outcomeOf(result, 'web').reason).not.toContain('ECS says');
  });

  it('an aborted signal stops waiting: interrupted, and nothing is rolled back', async () => {
    const { ecs, clock, run } = scenario([
      { name: 'web', pollsToSettle: 10 },
      { name: 'api', pollsToSettle: 10 },
    ]);
    const controller = new AbortController();
    clock.onSleep = (count) => {
      if (count === 2) controller.abort();
    };
    const result = await run({ signal: controller.signal });
    expect(result.services.map((outcome) => outcome.outcome)).toEqual(['interrupted', 'interrupted']);
    expect(result.ok).toBe(false);
    expect(updateRequests(ecs)).toHaveLength(2);
    expect(updateRequests(ecs).every((request) => request.taskDefinitionArn?.endsWith(':2'))).toBe(true);
    expect(clock.sleeps).toHaveLength(2);
    expect(ecs.callsTo('describeServices')).toHaveLength(1);
  });

  it('an already aborted signal updates no service', async () => {
    const { ecs, run } = scenario([{ name: 'web' }]);
    const controller = new AbortController();
    controller.abort();
    const result = await run({ signal: controller.signal });
    expect(ecs.callsTo('updateService')).toEqual([]);
    expect(outcomeOf(result, 'web').outcome).toBe('not-started');
  });
});

describe('executeRollout: rollback', () => {
  const failing = (): ServiceSpec[] => [{ name: 'api' }, { name: 'web', scripts: ['fail'] }, { name: 'worker', pollsToSettle: 2 }];

  it('a FAILED deployment fails the run and every changed service is put back on its old revision', async () => {
    const { ecs, events, run } = scenario(failing());
    const result = await run();

    expect(result.ok).toBe(false);
    expect(result.services.map((outcome) => [outcome.service, outcome.outcome])).toEqual([
      ['api', 'rolled-back'],
      ['web', 'rolled-back'],
      ['worker', 'rolled-back'],
    ]);
    // ECS's full stop is dropped before the "; rolled back" that follows it.
    expect(outcomeOf(result, 'web').reason).toBe(`${CIRCUIT_BREAKER.replace(/\.$/, '')}; rolled back to web:1`);
    expect(outcomeOf(result, 'api').reason).toContain('another service in this rollout failed');

    const requests = updateRequests(ecs);
    expect(requests).toHaveLength(6);
    const rollbacks = requests.slice(3);
    expect(rollbacks.map((request) => [request.service, request.taskDefinitionArn]).sort()).toEqual([
      ['api', taskDefinitionArnOf('api', 1)],
      ['web', taskDefinitionArnOf('web', 1)],
      ['worker', taskDefinitionArnOf('worker', 1)],
    ]);
    expect(rollbacks.every((request) => request.forceNewDeployment === undefined)).toBe(true);
    expect(events.filter((event) => event.type === 'rollback-started')).toEqual([{ type: 'rollback-started', services: 3 }]);
    expect(events.some((event) => event.type === 'wait-started' && event.phase === 'rollback')).toBe(true);
  });

  it('rollback false leaves the services where they are', async () => {
    const { ecs, events, run } = scenario(failing());
    const result = await run({ rollback: false });
    expect(result.services.map((outcome) => [outcome.service, outcome.outcome])).toEqual([
      ['api', 'completed'],
      ['web', 'failed'],
      ['worker', 'completed'],
    ]);
    expect(outcomeOf(result, 'web').reason).toBe(CIRCUIT_BREAKER);
    expect(updateRequests(ecs)).toHaveLength(3);
    expect(events.some((event) => event.type === 'rollback-started')).toBe(false);
  });

  it('a timed-out service is rolled back too, keeping the ECS explanation in the reason', async () => {
    const { run } = scenario([{ name: 'web', scripts: ['stuck'] }]);
    const result = await run({ timeoutMs: 30_000 });
    expect(outcomeOf(result, 'web').outcome).toBe('rolled-back');
    expect(outcomeOf(result, 'web').reason).toContain('unable to place a task');
  });

  it('a rollback that does not finish is rollback-failed', async () => {
    const { run } = scenario([{ name: 'web', scripts: ['fail', 'stuck'] }]);
    const result = await run({ timeoutMs: 30_000 });
    expect(outcomeOf(result, 'web').outcome).toBe('rollback-failed');
  });

  it('does not roll back a forced redeploy (it changed no revision)', async () => {
    const { ecs, run } = scenario(
      [
        { name: 'current', image: 'nginx:2' },
        { name: 'web', scripts: ['fail'] },
      ],
      { force: true },
    );
    const result = await run();
    expect(updateRequests(ecs).filter((request) => request.service === 'current')).toHaveLength(1);
    expect(outcomeOf(result, 'current').outcome).toBe('completed');
    expect(outcomeOf(result, 'web').outcome).toBe('rolled-back');
  });

  it('with wait false, a refused update rolls the others back without waiting', async () => {
    const { ecs, clock, run } = scenario([{ name: 'api' }, { name: 'web' }]);
    ecs.failUpdateOf.add('web');
    const result = await run({ wait: false });
    expect(outcomeOf(result, 'api').outcome).toBe('rolled-back');
    expect(clock.sleeps).toEqual([]);
  });
});

describe('executeRollout: replace strategy', () => {
  it.each([
    { desired: 4, minimumHealthyPercent: 50, batches: [2, 2] },
    { desired: 4, minimumHealthyPercent: 75, batches: [1, 1, 1, 1] },
    { desired: 3, minimumHealthyPercent: 0, batches: [3] },
    { desired: 5, minimumHealthyPercent: 60, batches: [2, 2, 1] },
  ])(
    'stops old tasks oldest first in batches that keep ceil($desired × $minimumHealthyPercent%) running: $batches',
    async ({ desired, minimumHealthyPercent, batches }) => {
      const { ecs, events, run } = scenario([{ name: 'web', desired, minimumHealthyPercent, runTasks: true, pollsToSettle: Infinity }], {
        strategy: 'replace',
      });
      const result = await run({ timeoutMs: 600_000 });

      expect(outcomeOf(result, 'web').outcome).toBe('completed');
      const stopped = events.flatMap((event) => (event.type === 'tasks-stopped' ? [event] : []));
      expect(stopped.map((event) => event.taskArns.length)).toEqual(batches);
      expect(stopped.at(-1)?.remainingOld).toBe(0);
      const stops = ecs.callsTo('stopTask');
      expect(stops.map((call) => call.args[1])).toEqual(Array.from({ length: desired }, (_, index) => taskArnOf('prod', `web-old-${index}`)));
      expect(stops.every((call) => String(call.args[2]) === 'ecs-roll: replacing with web:2')).toBe(true);
      expect(ecs.lowestRunningAfterStop.get('web')).toBeGreaterThanOrEqual(minimumHealthyTasks(desired, minimumHealthyPercent));
    },
  );

  it('with 100% minimum healthy it stops nothing, says so once and waits for ECS', async () => {
    const { ecs, events, run } = scenario([{ name: 'web', desired: 2, minimumHealthyPercent: 100, runTasks: true, pollsToSettle: 3 }], {
      strategy: 'replace',
    });
    const result = await run();
    expect(outcomeOf(result, 'web').outcome).toBe('completed');
    expect(ecs.callsTo('stopTask')).toEqual([]);
    expect(events.filter((event) => event.type === 'notice' && event.message.includes('minimumHealthyPercent'))).toHaveLength(1);
  });

  it('rolling strategy never lists or stops tasks', async () => {
    const { ecs, run } = scenario([{ name: 'web', desired: 4, minimumHealthyPercent: 50, runTasks: true, pollsToSettle: 2 }]);
    await run();
    expect(ecs.callsTo('listServiceTasks')).toEqual([]);
    expect(ecs.callsTo('stopTask')).toEqual([]);
  });
});

describe('executeRollout: events', () => {
  it('emits registered, then service-updated, then wait-started, then service-completed', async () => {
    const { events, run } = scenario([{ name: 'web' }, { name: 'api', pollsToSettle: 2 }]);
    await run();
    const types = events.map((event) => event.type);
    const first = (type: RolloutEvent['type']) => types.indexOf(type);
    const last = (type: RolloutEvent['type']) => types.lastIndexOf(type);
    expect(last('registered')).toBeLessThan(first('service-updated'));
    expect(last('service-updated')).toBeLessThan(first('wait-started'));
    expect(last('wait-started')).toBeLessThan(first('service-completed'));
    expect(types.filter((type) => type === 'registered')).toHaveLength(2);
    expect(types.filter((type) => type === 'service-completed')).toHaveLength(2);
    expect(events.find((event) => event.type === 'wait-started')).toEqual({
      type: 'wait-started',
      services: 2,
      timeoutSeconds: 900,
      phase: 'rollout',
    });
    for (const service of ['web', 'api']) {
      const ofService = events.filter((event) => 'service' in event && event.service === service).map((event) => event.type);
      expect(ofService[0]).toBe('service-updated');
      expect(ofService.at(-1)).toBe('service-completed');
    }
  });

  it('service-updated carries the revisions and the deployment id', async () => {
    const { events, run } = scenario([{ name: 'web' }]);
    const result = await run();
    expect(events.find((event) => event.type === 'service-updated')).toEqual({
      type: 'service-updated',
      cluster: 'prod',
      service: 'web',
      from: taskDefinitionArnOf('web', 1),
      to: taskDefinitionArnOf('web', 2),
      forced: false,
      deploymentId: outcomeOf(result, 'web').deploymentId,
    });
  });

  it('emits progress only when it changes', async () => {
    const { events, run } = scenario([{ name: 'web', pollsToSettle: 4 }]);
    await run();
    const progress = events.filter((event) => event.type === 'progress');
    // IN_PROGRESS with 0 running for three polls, then COMPLETED: two distinct states.
    expect(progress).toHaveLength(2);
  });
});

describe('executeRollout: BLUE_GREEN, LINEAR and CANARY services', () => {
  it('shows the lifecycle stage in progress events', async () => {
    const { events, run } = scenario([{ name: 'web', strategy: 'BLUE_GREEN', pollsToSettle: 2 }]);
    const result = await run();
    expect(outcomeOf(result, 'web').outcome).toBe('completed');
    const stages = events.flatMap((event) => (event.type === 'progress' ? [event.progress.stage] : []));
    expect(stages).toContain('BAKE_TIME');
  });

  it('a staged deployment ECS rolled back is reported rolled-back, and only the other services are put back', async () => {
    const { ecs, run } = scenario([{ name: 'api' }, { name: 'web', strategy: 'BLUE_GREEN', scripts: ['vanish'], pollsToSettle: 2 }]);
    const result = await run();
    expect(result.ok).toBe(false);
    expect(outcomeOf(result, 'web')).toMatchObject({
      outcome: 'rolled-back',
      reason: expect.stringMatching(/ECS rolled it back to web:1: alarm web-5xx/),
    });
    expect(outcomeOf(result, 'api').outcome).toBe('rolled-back');
    const updates = updateRequests(ecs);
    expect(updates.filter((request) => request.service === 'web')).toHaveLength(1);
    expect(updates.filter((request) => request.service === 'api').map((request) => request.taskDefinitionArn)).toEqual([
      taskDefinitionArnOf('api', 2),
      taskDefinitionArnOf('api', 1),
    ]);
  });

  it('a ROLLING service whose deployment vanished is still rolled back by ecs-roll, as before', async () => {
    const { ecs, run } = scenario([{ name: 'web', scripts: ['vanish'] }]);
    await run();
    expect(ecs.callsTo('latestServiceDeployment')).toEqual([]);
    expect(updateRequests(ecs).filter((request) => request.service === 'web').length).toBeGreaterThan(0);
  });

  it('refuses the replace strategy for them before anything is called', () => {
    expect(() => scenario([{ name: 'web', strategy: 'CANARY' }], { strategy: 'replace' })).toThrow(
      /--strategy replace cannot move prod\/web \(CANARY\)/,
    );
  });
});
