// `rollout --strategy replace` where ECS's rolling update is stuck: an EC2 cluster with no room for one more
// task. Runs the built CLI against the sandbox and checks tasks and the scheduler's record through the API.
import { describe, expect } from 'vitest';
import type { RecordEntry } from '../sandbox/client.js';
import { addContainerInstance } from '../sandbox/ec2.js';
import { it } from './fixtures.js';
import { container, createCluster, registerTaskDefinition } from './helpers.js';
import {
  describeService,
  ecs,
  endpoint,
  liveTasks,
  parseResult,
  primaryOf,
  rollout,
  sandbox,
  serviceResult,
  steadyService,
} from './waiting-world.js';

it.override({ sandboxConfig: { tick: 0.1 } });

describe('--strategy replace on an EC2 cluster with no room for one more task', () => {
  const CLUSTER = 'ec2';
  const DESIRED = 4;
  // A plain container instance has 4096 CPU units and 7482 MiB: exactly four of these fit, not five.
  const CPU = 1024;
  const MEMORY = 1870;

  async function setUp(): Promise<string> {
    expect(DESIRED * CPU).toBeLessThanOrEqual(4096);
    expect((DESIRED + 1) * CPU).toBeGreaterThan(4096);
    expect(DESIRED * MEMORY).toBeLessThanOrEqual(7482);
    expect((DESIRED + 1) * MEMORY).toBeGreaterThan(7482);
    await createCluster(ecs, CLUSTER);
    await addContainerInstance(ecs, endpoint, CLUSTER);
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')], {
      cpu: String(CPU),
      memory: String(MEMORY),
    });
    await steadyService(CLUSTER, 'web', source, {
      desiredCount: DESIRED,
      launchType: 'EC2',
      deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 200 },
    });
    const tasks = await liveTasks(CLUSTER, 'web');
    expect(tasks).toHaveLength(DESIRED);
    expect(tasks.every((task) => task.containerInstanceArn !== undefined)).toBe(true);
    return source;
  }

  it("is stuck with the rolling strategy until --timeout, naming ECS's placement event; replace finishes without dropping below the healthy floor", async () => {
    const source = await setUp();
    const started = Date.now();
    const stuck = await rollout(['acme/web:1.1', '--json', '--timeout', '3', '--no-rollback']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(stuck.code).toBe(1);
    const stuckResult = serviceResult(parseResult(stuck), 'web');
    expect(stuckResult.outcome).toBe('timed-out');
    expect(stuckResult.reason).toMatch(
      /^the deployment did not finish within 3 s; ECS says: \(service web\) was unable to place a task because no container instance met all of its requirements\./,
    );
    const stuckService = await describeService(CLUSTER, 'web');
    expect(primaryOf(stuckService)).toMatchObject({ id: stuckResult.deploymentId, rolloutState: 'IN_PROGRESS', runningCount: 0 });
    expect((await liveTasks(CLUSTER, 'web')).map((task) => task.taskDefinitionArn)).toEqual(Array(DESIRED).fill(source));

    await sandbox.reset();
    await sandbox.config({ tick: 0.1 });
    await setUp();
    await sandbox.clearCalls();

    const run = await rollout(['acme/web:1.1', '--json', '--timeout', '30', '--strategy', 'replace']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const web = serviceResult(parseResult(run), 'web');
    expect(web.outcome).toBe('completed');
    const target = web.newTaskDefinitionArn ?? '';
    expect(target).toMatch(/task-definition\/web:2$/);

    const service = await describeService(CLUSTER, 'web');
    expect(service.deployments).toEqual([expect.objectContaining({ id: web.deploymentId, taskDefinition: target, rolloutState: 'COMPLETED' })]);
    const tasks = await liveTasks(CLUSTER, 'web');
    expect(tasks.map((task) => task.taskDefinitionArn)).toEqual(Array(DESIRED).fill(target));
    expect(tasks.every((task) => task.lastStatus === 'RUNNING')).toBe(true);

    // ECS alone could not have done it: ecs-roll stopped each old task once.
    const stops = (await sandbox.calls()).filter((call) => call.action === 'StopTask');
    expect(stops).toHaveLength(DESIRED);

    // At no tick of the rollout did the service run fewer than ceil(desired * 50 %) tasks.
    const floor = Math.ceil((DESIRED * 50) / 100);
    const rows: RecordEntry[] = (await sandbox.record()).filter(
      (row) => row.cluster === CLUSTER && row.service === 'web' && row.primaryTaskDefinition === target,
    );
    expect(rows.length).toBeGreaterThan(2);
    for (const row of rows) {
      expect(row.desired, `tick ${row.tick}`).toBe(DESIRED);
      expect(row.running, `tick ${row.tick}`).toBeGreaterThanOrEqual(floor);
    }
    expect(rows.at(-1)).toMatchObject({ running: DESIRED, runningPrimary: DESIRED, primaryRolloutState: 'COMPLETED' });
  });
});
