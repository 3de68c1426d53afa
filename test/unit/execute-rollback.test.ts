// executeRollout puts every service it changed back when one fails, times out or is refused.
import { describe, expect, it } from 'vitest';
import { CIRCUIT_BREAKER } from '../fakes.js';
import { taskDefinitionArnOf } from './builders.js';
import { outcomeOf, type ServiceSpec, scenario, updateRequests } from './execute-scenario.js';

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
