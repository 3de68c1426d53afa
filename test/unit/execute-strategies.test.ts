// executeRollout per deployment strategy: ecs-roll's replace strategy (stopping old tasks in batches), and
// services whose own ECS strategy (BLUE_GREEN, LINEAR, CANARY) ECS carries out and rolls back itself.
import { describe, expect, it } from 'vitest';
import { minimumHealthyTasks } from '../../src/core/replace.js';
import { taskArnOf, taskDefinitionArnOf } from './builders.js';
import { outcomeOf, scenario, updateRequests } from './execute-scenario.js';

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
