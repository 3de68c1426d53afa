// executeRollout waits for the deployments it started: how often it polls, what it asks, when it gives up.
import { describe, expect, it } from 'vitest';
import { clusterArnOf } from './builders.js';
import { outcomeOf, scenario, updateRequests } from './execute-scenario.js';

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
