// `rollout --force` redeploys a service already on the tag; `--no-wait` returns once the services are updated.
// Each test runs the built CLI against the sandbox and checks the outcome through the ECS API.
import { describe, expect } from 'vitest';
import { it } from './fixtures.js';
import { container, createCluster, registerTaskDefinition, revisionCount } from './helpers.js';
import {
  callsAfterLast,
  describeService,
  ecs,
  liveTasks,
  parseResult,
  primaryOf,
  rollout,
  sandbox,
  serviceResult,
  steadyService,
} from './waiting-world.js';

it.override({ sandboxConfig: { tick: 0.1 } });

describe('--force and --no-wait', () => {
  it('--force redeploys a service already on the tag: same revision, a new deployment that completes', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.1')]);
    const before = primaryOf(await steadyService('prod', 'web', source, { desiredCount: 2 }));
    const oldTasks = (await liveTasks('prod', 'web')).map((task) => task.taskArn);
    await sandbox.clearCalls();

    const run = await rollout(['acme/web:1.1', '--force', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const web = serviceResult(parseResult(run), 'web');
    expect(web).toMatchObject({ action: 'redeploy', outcome: 'completed', oldTaskDefinitionArn: source, newTaskDefinitionArn: source });
    expect(web.deploymentId).toMatch(/^ecs-svc\/\d+$/);
    expect(web.deploymentId).not.toBe(before.id);

    expect(await revisionCount(ecs, 'web')).toBe(1);
    expect((await sandbox.calls()).filter((call) => call.action === 'RegisterTaskDefinition')).toEqual([]);
    const service = await describeService('prod', 'web');
    expect(service.taskDefinition).toBe(source);
    expect(service.deployments).toEqual([expect.objectContaining({ id: web.deploymentId, taskDefinition: source, rolloutState: 'COMPLETED' })]);
    const tasks = await liveTasks('prod', 'web');
    expect(tasks).toHaveLength(2);
    for (const task of tasks) {
      expect(oldTasks).not.toContain(task.taskArn);
      expect(task).toMatchObject({ startedBy: web.deploymentId, taskDefinitionArn: source, lastStatus: 'RUNNING' });
    }
  });

  it('--no-wait returns once the services are updated, without polling', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    for (const name of ['a', 'b']) await steadyService('prod', name, source, { desiredCount: 2 });
    await sandbox.config({ paused: true });
    await sandbox.clearCalls();

    const run = await rollout(['acme/web:1.1', '--no-wait', '--json']);
    // Read the call log before this test's own DescribeServices add to it.
    const calls = await sandbox.calls();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = parseResult(run);
    expect(result.ok).toBe(true);

    expect(calls.filter((call) => call.action === 'UpdateService')).toHaveLength(2);
    expect(callsAfterLast(calls, 'UpdateService').map((call) => call.action)).toEqual([]);

    for (const name of ['a', 'b']) {
      const entry = serviceResult(result, name);
      expect(entry.outcome, name).toBe('updated');
      const service = await describeService('prod', name);
      expect(service.taskDefinition, name).toBe(entry.newTaskDefinitionArn);
      expect(primaryOf(service), name).toMatchObject({
        id: entry.deploymentId,
        taskDefinition: entry.newTaskDefinitionArn,
        rolloutState: 'IN_PROGRESS',
      });
    }
  });
});
