// `rollout` waits for the deployment each update created and exits 0 only once it has COMPLETED. Each test
// runs the built CLI against the sandbox and checks the outcome through the ECS API and the sandbox's record.
import type { CreateServiceCommandInput } from '@aws-sdk/client-ecs';
import { describe, expect } from 'vitest';
import { it } from './fixtures.js';
import { container, createCluster, imagesOf, registerTaskDefinition } from './helpers.js';
import { describeService, ecs, liveTasks, parseResult, primaryOf, rollout, sandbox, serviceResult, steadyService } from './waiting-world.js';

it.override({ sandboxConfig: { tick: 0.1 } });

describe('rollout waits for the deployments it created', () => {
  it('exits 0 only once the deployment the update created is COMPLETED, with every task on the new revision', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    // One extra task at a time (max 4 of 3), a tick of 0.25 s: a deployment takes 4 ticks, about 1 s,
    // well after the CLI's first poll (0.3 s), so a CLI that stopped at the first look would be caught.
    const slow: Partial<CreateServiceCommandInput> = {
      desiredCount: 3,
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 134 },
    };
    const before = primaryOf(await steadyService('prod', 'web', source, slow));
    await sandbox.config({ tick: 0.25 });

    const run = await rollout(['acme/web:1.1']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    // Right after exit: the deployment the update created (named in the output) is COMPLETED.
    const deploymentId = /updated prod\/web: web:1 → web:2 \(deployment (ecs-svc\/\d+)\)/.exec(run.stdout)?.[1];
    expect(deploymentId, run.stdout).toBeDefined();
    expect(deploymentId).not.toBe(before.id);
    const after = await describeService('prod', 'web');
    expect(after.taskDefinition).toMatch(/task-definition\/web:2$/);
    expect(after.deployments).toEqual([
      expect.objectContaining({ id: deploymentId, status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: after.taskDefinition }),
    ]);
    expect(after.runningCount).toBe(3);
    const tasks = await liveTasks('prod', 'web');
    expect(tasks).toHaveLength(3);
    for (const task of tasks) {
      expect(task).toMatchObject({ lastStatus: 'RUNNING', taskDefinitionArn: after.taskDefinition, startedBy: deploymentId });
    }
    expect(await imagesOf(ecs, after.taskDefinition ?? '')).toEqual({ web: 'acme/web:1.1' });

    // The scheduler had the deployment IN_PROGRESS for a while: the CLI did wait, and saw it finish.
    const rows = (await sandbox.record()).filter((row) => row.service === 'web' && row.primaryTaskDefinition === after.taskDefinition);
    expect(rows.some((row) => row.primaryRolloutState === 'IN_PROGRESS')).toBe(true);
    expect(rows.some((row) => row.primaryRolloutState === 'COMPLETED')).toBe(true);

    // Not a terminal: plain progress lines instead of a spinner, then the completion.
    expect(run.stdout).not.toMatch(/\u001b\[/);
    expect(run.stdout).toMatch(/^ {2}prod\/web: [0-2]\/3 running on the new revision.* \(IN_PROGRESS\)$/m);
    expect(run.stdout).toMatch(/^ {2}prod\/web: 3\/3 running on the new revision \(COMPLETED\)$/m);
    // Half of --timeout 900: the other half is kept for a rollback's wait.
    expect(run.stdout).toContain('Waiting for deployments: 1 service, timeout 900 s');
    // The completion line ("✔ prod/web …", not a rollback's "is back on its previous revision") follows the progress.
    const completedAt = run.stdout.search(/^✔ prod\/web (?!is back on)/m);
    expect(completedAt, run.stdout).toBeGreaterThan(run.stdout.indexOf('running on the new revision'));
    expect(run.stdout).toMatch(/Done: 1 deployed\n$/);

    // --json: one document, the outcome and the deployment to follow.
    const json = await rollout(['acme/web:1.2', '--json']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const result = parseResult(json);
    expect(result.ok).toBe(true);
    const web = serviceResult(result, 'web');
    expect(web).toMatchObject({ cluster: 'prod', outcome: 'completed', oldTaskDefinitionArn: after.taskDefinition });
    expect(web.newTaskDefinitionArn).toMatch(/task-definition\/web:3$/);
    expect(web.deploymentId).toMatch(/^ecs-svc\/\d+$/);
    expect(web.deploymentId).not.toBe(deploymentId);
    const third = await describeService('prod', 'web');
    expect(third.deployments).toEqual([
      expect.objectContaining({ id: web.deploymentId, rolloutState: 'COMPLETED', taskDefinition: web.newTaskDefinitionArn }),
    ]);
    expect((await liveTasks('prod', 'web')).map((task) => task.taskDefinitionArn)).toEqual(Array(3).fill(web.newTaskDefinitionArn));
  });
});
