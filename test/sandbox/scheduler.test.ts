// Which ECS service-scheduler behaviours the sandbox models (scheduler.py), proved with the real AWS SDK client:
// deployments, surge and healthy floors, placement on EC2, the circuit breaker and replacing stopped tasks.
import { CreateClusterCommand, StopTaskCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { addContainerInstance } from './ec2.js';
import {
  CLUSTER,
  control,
  createService,
  describe1,
  ecs,
  endpoint,
  primary,
  rowsFor,
  serviceTasks,
  steady,
  taskDefinition,
  waitFor,
} from './sandbox-ecs.js';

const DEPLOYMENT_ID = /^ecs-svc\/\d{19}$/;

beforeEach(async () => {
  await control.reset();
  await control.config({ tick: 0.1 });
  await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
});

describe('service scheduler', () => {
  it('starts N tasks for desired count N, with group and startedBy as ECS sets them', async () => {
    const td = await taskDefinition('web', 'nginx:1.0');
    const created = await createService({ serviceName: 'web', taskDefinition: td, desiredCount: 3 });
    expect(created.deploymentConfiguration).toMatchObject({ minimumHealthyPercent: 100, maximumPercent: 200 });
    const first = primary(created);
    expect(first.id).toMatch(DEPLOYMENT_ID);
    expect(first.rolloutState).toBe('IN_PROGRESS');

    const service = await steady('web');
    expect(service.runningCount).toBe(3);
    expect(service.pendingCount).toBe(0);
    expect(primary(service).id).toBe(first.id);
    expect(primary(service).runningCount).toBe(3);

    const tasks = await serviceTasks('web');
    expect(tasks).toHaveLength(3);
    for (const task of tasks) {
      expect(task.group).toBe('service:web');
      expect(task.startedBy).toBe(first.id);
      expect(task.lastStatus).toBe('RUNNING');
      expect(task.desiredStatus).toBe('RUNNING');
      expect(task.taskDefinitionArn).toBe(td);
    }
    // every task was seen PENDING for a tick before RUNNING
    const rows = rowsFor(await control.record(), 'web');
    expect(rows[0]).toMatchObject({ running: 0, pending: 3 });
  });

  it('answers UpdateService with a new PRIMARY deployment that completes and drops the old one', async () => {
    const v1 = await taskDefinition('web', 'nginx:1.0');
    const v2 = await taskDefinition('web', 'nginx:2.0');
    await createService({ serviceName: 'web', taskDefinition: v1, desiredCount: 2 });
    const before = primary(await steady('web'));

    const updated = (await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'web', taskDefinition: v2 }))).service!;
    const next = primary(updated);
    expect(next.id).toMatch(DEPLOYMENT_ID);
    expect(next.id).not.toBe(before.id);
    expect(next).toMatchObject({ taskDefinition: v2, rolloutState: 'IN_PROGRESS' });
    expect(updated.taskDefinition).toBe(v2);
    expect(updated.deployments?.find((d) => d.id === before.id)?.status).toBe('ACTIVE');

    const done = await steady('web');
    expect(done.deployments).toHaveLength(1);
    expect(primary(done)).toMatchObject({ id: next.id, rolloutState: 'COMPLETED', runningCount: 2 });
    const tasks = await serviceTasks('web');
    expect(tasks.map((t) => t.taskDefinitionArn)).toEqual([v2, v2]);
    expect(done.events?.[0]?.message).toBe('(service web) has reached a steady state.');
  });

  it('rolls every task onto a fresh deployment on forceNewDeployment, same revision', async () => {
    const v1 = await taskDefinition('web', 'nginx:1.0');
    await createService({ serviceName: 'web', taskDefinition: v1, desiredCount: 2 });
    const before = primary(await steady('web'));
    const oldTasks = (await serviceTasks('web')).map((t) => t.taskArn);

    const updated = (await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'web', forceNewDeployment: true }))).service!;
    const next = primary(updated);
    expect(next.id).not.toBe(before.id);
    expect(next).toMatchObject({ taskDefinition: v1, rolloutState: 'IN_PROGRESS' });

    const done = await steady('web');
    expect(primary(done).id).toBe(next.id);
    const tasks = await serviceTasks('web');
    expect(tasks).toHaveLength(2);
    for (const task of tasks) {
      expect(oldTasks).not.toContain(task.taskArn);
      expect(task.startedBy).toBe(next.id);
    }
  });

  it('does not make a deployment for a desired-count-only update', async () => {
    const v1 = await taskDefinition('web', 'nginx:1.0');
    await createService({ serviceName: 'web', taskDefinition: v1, desiredCount: 1 });
    const before = primary(await steady('web'));
    const updated = (await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'web', desiredCount: 3 }))).service!;
    expect(updated.deployments).toHaveLength(1);
    expect(updated.runningCount).toBe(1);
    await waitFor('3 running', async () => ((await describe1('web')).runningCount === 3 ? true : undefined));
    expect(primary(await describe1('web')).id).toBe(before.id);
  });

  it('keeps within maximumPercent and minimumHealthyPercent at every tick', async () => {
    const v1 = await taskDefinition('web', 'nginx:1.0');
    const v2 = await taskDefinition('web', 'nginx:2.0');
    const v3 = await taskDefinition('web', 'nginx:3.0');
    await createService({
      serviceName: 'web',
      taskDefinition: v1,
      desiredCount: 4,
      deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 150 },
    });
    await steady('web');
    await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'web', taskDefinition: v2 }));
    await steady('web');
    // and with ECS's defaults (100/200) set back through UpdateService
    await ecs.send(
      new UpdateServiceCommand({
        cluster: CLUSTER,
        service: 'web',
        taskDefinition: v3,
        deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 },
      }),
    );
    await steady('web');

    const rows = rowsFor(await control.record(), 'web');
    const rolling = rows.filter((row) => row.primaryTaskDefinition !== v1);
    expect(rolling.length).toBeGreaterThan(2);
    for (const row of rolling) {
      const minimum = Math.ceil((row.desired * row.minimumHealthyPercent) / 100);
      const maximum = Math.floor((row.desired * row.maximumPercent) / 100);
      expect(row.running, `tick ${row.tick}`).toBeGreaterThanOrEqual(minimum);
      expect(row.running + row.pending, `tick ${row.tick}`).toBeLessThanOrEqual(maximum);
    }
    // both rollouts surged up to their maximum (the model starts new tasks before stopping old ones)
    expect(rolling.some((row) => row.maximumPercent === 150 && row.running + row.pending === 6)).toBe(true);
    expect(rolling.some((row) => row.maximumPercent === 200 && row.running + row.pending === 8)).toBe(true);
  });

  it('gets stuck, with the "unable to place a task" event, on an EC2 cluster without room for one more task', async () => {
    await addContainerInstance(ecs, endpoint, CLUSTER); // 4096 CPU units
    const v1 = await taskDefinition('web', 'nginx:1.0', { cpu: 1024, memory: 512 });
    const v2 = await taskDefinition('web', 'nginx:2.0', { cpu: 1024, memory: 512 });
    await createService({ serviceName: 'web', taskDefinition: v1, desiredCount: 4, launchType: 'EC2' });
    await steady('web');
    const tasks = await serviceTasks('web');
    expect(tasks.every((t) => t.containerInstanceArn)).toBe(true);

    const next = primary((await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'web', taskDefinition: v2 }))).service!);
    const stuck = await waitFor('the placement event', async () => {
      const service = await describe1('web');
      return service.events?.some((e) => e.message?.includes('was unable to place a task')) ? service : undefined;
    });
    const event = stuck.events!.find((e) => e.message?.includes('was unable to place a task'))!;
    expect(event.message).toMatch(
      /^\(service web\) was unable to place a task because no container instance met all of its requirements\. The closest matching \(container-instance [0-9a-f-]+\) has insufficient CPU units available\./,
    );
    await new Promise((resolve) => setTimeout(resolve, 600));
    const later = await describe1('web');
    expect(primary(later)).toMatchObject({ id: next.id, rolloutState: 'IN_PROGRESS', runningCount: 0 });
    expect(later.runningCount).toBe(4);
    // throttled: not one event per tick
    expect(later.events!.filter((e) => e.message?.includes('was unable to place a task'))).toHaveLength(1);
  });

  it('fails a broken deployment with the circuit breaker and rolls back to the previous revision', async () => {
    const good = await taskDefinition('api', 'repo/api:1.0');
    const broken = await taskDefinition('api', 'repo/api:broken-2.0');
    await createService({
      serviceName: 'api',
      taskDefinition: good,
      desiredCount: 2,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    });
    const original = primary(await steady('api'));
    const failing = primary((await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'api', taskDefinition: broken }))).service!);

    const failed = await waitFor('the FAILED deployment', async () => {
      const service = await describe1('api');
      return service.deployments?.find((d) => d.id === failing.id && d.rolloutState === 'FAILED');
    });
    expect(failed.failedTasks).toBeGreaterThanOrEqual(3); // threshold: ceil(0.5 * 2) clamped to at least 3

    const back = await steady('api');
    expect(back.taskDefinition).toBe(good);
    const rollback = primary(back);
    expect(rollback.id).not.toBe(original.id);
    expect(rollback.id).not.toBe(failing.id);
    expect(rollback).toMatchObject({ taskDefinition: good, rolloutState: 'COMPLETED' });
    expect(back.deployments?.map((d) => d.id)).toEqual([rollback.id]);
    expect(back.events?.map((e) => e.message)).toContain(`(service api) (deployment ${failing.id}) deployment failed: tasks failed to start.`);
    const stopped = await serviceTasks('api', 'STOPPED');
    expect(stopped.some((t) => t.taskDefinitionArn === broken && t.stoppedReason === 'Essential container in task exited')).toBe(true);
    // the broken tasks never let the healthy ones go below 100 %
    const rows = rowsFor(await control.record(), 'api').filter((row) => row.tick > 0);
    expect(rows.slice(rows.findIndex((row) => row.primaryTaskDefinition === broken)).every((row) => row.running >= 2)).toBe(true);
  });

  it('keeps a broken deployment IN_PROGRESS, retrying, without the circuit breaker', async () => {
    const good = await taskDefinition('api', 'repo/api:1.0');
    const broken = await taskDefinition('api', 'repo/api:broken');
    await createService({ serviceName: 'api', taskDefinition: good, desiredCount: 2 });
    await steady('api');
    const failing = primary((await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'api', taskDefinition: broken }))).service!);
    const first = await waitFor('6 failed tasks', async () => {
      const d = primary(await describe1('api'));
      return (d.failedTasks ?? 0) >= 6 ? d : undefined;
    });
    expect(first).toMatchObject({ id: failing.id, rolloutState: 'IN_PROGRESS' });
    const later = await waitFor('more failed tasks', async () => {
      const d = primary(await describe1('api'));
      return (d.failedTasks ?? 0) > (first.failedTasks ?? 0) + 2 ? d : undefined;
    });
    expect(later).toMatchObject({ id: failing.id, rolloutState: 'IN_PROGRESS' });
    const service = await describe1('api');
    expect(service.taskDefinition).toBe(broken);
    expect(service.runningCount).toBeGreaterThanOrEqual(2); // the old tasks still serve
  });

  it('replaces a stopped task on the PRIMARY revision (stop old tasks in batches)', async () => {
    const v1 = await taskDefinition('web', 'nginx:1.0');
    const v2 = await taskDefinition('web', 'nginx:2.0');
    // no room above 100 % and none below: ECS will not replace anything by itself
    await createService({
      serviceName: 'web',
      taskDefinition: v1,
      desiredCount: 3,
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 100 },
    });
    await steady('web');
    const next = primary((await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'web', taskDefinition: v2 }))).service!);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await serviceTasks('web')).map((t) => t.taskDefinitionArn)).toEqual([v1, v1, v1]);

    const victims = (await serviceTasks('web')).slice(0, 2);
    for (const task of victims) {
      await ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: task.taskArn!, reason: 'ecs-roll batch' }));
    }
    const replaced = await waitFor('two replacements running', async () => {
      const tasks = await serviceTasks('web');
      const fresh = tasks.filter((t) => t.taskDefinitionArn === v2 && t.lastStatus === 'RUNNING');
      return fresh.length === 2 ? fresh : undefined;
    });
    for (const task of replaced) expect(task.startedBy).toBe(next.id);
    const stopped = await serviceTasks('web', 'STOPPED');
    expect(stopped.map((t) => t.stoppedReason)).toEqual(['ecs-roll batch', 'ecs-roll batch']);

    const last = (await serviceTasks('web')).find((t) => t.taskDefinitionArn === v1)!;
    await ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: last.taskArn! }));
    const done = await steady('web');
    expect(primary(done)).toMatchObject({ id: next.id, rolloutState: 'COMPLETED' });
  });
});
