// Which ECS behaviours the sandbox models, proved with the real AWS SDK client.
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListServicesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  type CreateServiceCommandInput,
  type Deployment,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from './endpoint.js';
import { sandboxControl, type RecordEntry } from './client.js';
import { addContainerInstance } from './ec2.js';
import { eventuallyWith } from '../eventually.js';

const endpoint = sandboxEndpoint();
const control = sandboxControl(endpoint);
const ecs = new ECSClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const CLUSTER = 'sandbox';
const DEPLOYMENT_ID = /^ecs-svc\/\d{19}$/;

const waitFor = eventuallyWith({ ms: 8_000, every: 50 });

async function taskDefinition(family: string, image: string, extra: { cpu?: number; memory?: number } = {}): Promise<string> {
  const answer = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      containerDefinitions: [{ name: 'app', image, essential: true, cpu: extra.cpu ?? 256, memory: extra.memory ?? 512 }],
    }),
  );
  return answer.taskDefinition!.taskDefinitionArn!;
}

async function createService(input: Omit<CreateServiceCommandInput, 'cluster'>): Promise<Service> {
  const answer = await ecs.send(new CreateServiceCommand({ cluster: CLUSTER, launchType: 'FARGATE', ...input }));
  return answer.service!;
}

async function describe1(service: string): Promise<Service> {
  const answer = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [service] }));
  return answer.services![0]!;
}

async function serviceTasks(service: string, desiredStatus?: 'RUNNING' | 'STOPPED'): Promise<Task[]> {
  const arns = (await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: service, desiredStatus }))).taskArns ?? [];
  if (arns.length === 0) return [];
  return (await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: arns }))).tasks ?? [];
}

function primary(service: Service): Deployment {
  const found = service.deployments?.find((d) => d.status === 'PRIMARY');
  if (!found) throw new Error(`service ${service.serviceName} has no PRIMARY deployment`);
  return found;
}

/** Resolves once the service has one COMPLETED PRIMARY deployment and desired tasks running. */
function steady(name: string, timeoutMs?: number): Promise<Service> {
  return waitFor(
    `${name} to reach a steady state`,
    async () => {
      const service = await describe1(name);
      const deployments = service.deployments ?? [];
      const done = deployments.length === 1 && deployments[0]!.rolloutState === 'COMPLETED' && service.runningCount === service.desiredCount;
      return done ? service : undefined;
    },
    timeoutMs === undefined ? {} : { ms: timeoutMs },
  );
}

function rowsFor(record: RecordEntry[], service: string): RecordEntry[] {
  return record.filter((row) => row.cluster === CLUSTER && row.service === service);
}

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

describe('control routes', () => {
  it('is deterministic: the same calls and ticks after a reset give the same ids and record', async () => {
    const run = async () => {
      await control.reset();
      await control.config({ paused: true });
      await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
      const td = await taskDefinition('web', 'nginx:1.0');
      await createService({ serviceName: 'web', taskDefinition: td, desiredCount: 2 });
      for (let i = 0; i < 3; i += 1) await control.tick();
      const forced = primary((await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'web', forceNewDeployment: true }))).service!);
      for (let i = 0; i < 3; i += 1) await control.tick();
      const tasks = (await serviceTasks('web')).map((t) => t.taskArn).sort();
      const record = (await control.record()).map(({ t: _t, ...rest }) => rest);
      return { forced: forced.id, tasks, record, state: primary(await describe1('web')).rolloutState };
    };
    const first = await run();
    expect(first.state).toBe('COMPLETED');
    expect(first.record).toHaveLength(6);
    expect(await run()).toEqual(first);
  });
});

describe('API limits and filters moto lacks', () => {
  it('pages ListServices at maxResults (default 10) with nextToken', async () => {
    const td = await taskDefinition('web', 'nginx:1.0');
    const names = Array.from({ length: 12 }, (_, i) => `svc-${String(i).padStart(2, '0')}`);
    for (const serviceName of names) await createService({ serviceName, taskDefinition: td, desiredCount: 0 });

    const first = await ecs.send(new ListServicesCommand({ cluster: CLUSTER }));
    expect(first.serviceArns).toHaveLength(10);
    expect(first.nextToken).toBeTruthy();
    const second = await ecs.send(new ListServicesCommand({ cluster: CLUSTER, nextToken: first.nextToken }));
    expect(second.serviceArns).toHaveLength(2);
    expect(second.nextToken).toBeUndefined();

    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await ecs.send(new ListServicesCommand({ cluster: CLUSTER, maxResults: 5, nextToken }));
      expect(page.serviceArns!.length).toBeLessThanOrEqual(5);
      seen.push(...page.serviceArns!);
      nextToken = page.nextToken;
      pages += 1;
    } while (nextToken);
    expect(pages).toBe(3);
    expect(seen.map((arn) => arn.split('/').pop()).sort()).toEqual(names);
  });

  it('rejects DescribeServices with more than 10 names, as AWS does', async () => {
    const names = Array.from({ length: 11 }, (_, i) => `svc-${i}`);
    const error = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: names })).then(
      () => undefined,
      (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number } },
    );
    expect(error?.name).toBe('InvalidParameterException');
    expect(error?.$metadata?.httpStatusCode).toBe(400);
    const ten = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: names.slice(0, 10) }));
    expect(ten.failures).toHaveLength(10);
  });

  it('rejects DescribeTasks with more than 100 ARNs', async () => {
    const arns = Array.from({ length: 101 }, (_, i) => `arn:aws:ecs:us-east-1:123456789012:task/${CLUSTER}/${i}`);
    await expect(ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: arns }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });

  it('filters ListTasks by serviceName and desiredStatus, and pages it', async () => {
    const td = await taskDefinition('web', 'nginx:1.0');
    await createService({ serviceName: 'a', taskDefinition: td, desiredCount: 2 });
    await createService({ serviceName: 'b', taskDefinition: td, desiredCount: 3 });
    await steady('a');
    await steady('b');
    const all = await ecs.send(new ListTasksCommand({ cluster: CLUSTER }));
    expect(all.taskArns).toHaveLength(5);
    const a = await serviceTasks('a');
    const b = await serviceTasks('b');
    expect(a).toHaveLength(2);
    expect(b).toHaveLength(3);
    expect(a.every((t) => t.group === 'service:a')).toBe(true);
    expect(b.every((t) => t.group === 'service:b')).toBe(true);

    await ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: a[0]!.taskArn! }));
    const stopped = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: 'a', desiredStatus: 'STOPPED' }));
    expect(stopped.taskArns).toEqual([a[0]!.taskArn]);

    const page = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: 'b', maxResults: 2 }));
    expect(page.taskArns).toHaveLength(2);
    const rest = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: 'b', maxResults: 2, nextToken: page.nextToken }));
    expect(rest.taskArns).toHaveLength(1);
    expect(rest.nextToken).toBeUndefined();
  });

  it('counts API calls by action since the last reset', async () => {
    expect((await control.calls()).map((c) => c.action)).toEqual(['CreateCluster']);
    for (let i = 0; i < 3; i += 1) {
      await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: ['nope'] }));
    }
    await ecs.send(new ListServicesCommand({ cluster: CLUSTER }));
    const calls = await control.calls();
    const describes = calls.filter((c) => c.action === 'DescribeServices');
    expect(describes).toHaveLength(3);
    expect(describes.every((c) => c.cluster === CLUSTER && typeof c.t === 'number')).toBe(true);
    expect(calls.filter((c) => c.action === 'ListServices')).toHaveLength(1);
    await control.reset();
    expect(await control.calls()).toEqual([]);
  });

  it('answers DescribeTaskDefinition(family) with the newest ACTIVE revision, and fails when there is none', async () => {
    await taskDefinition('fam', 'nginx:1.0');
    await taskDefinition('fam', 'nginx:1.1');
    await taskDefinition('fam', 'nginx:1.2');
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'fam:3' }));
    const newest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'fam' }));
    expect(newest.taskDefinition?.revision).toBe(2);
    // An INACTIVE revision is still described when asked for by revision.
    const inactive = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'fam:3' }));
    expect(inactive.taskDefinition?.status).toBe('INACTIVE');
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'fam:1' }));
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'fam:2' }));
    await expect(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'fam' }))).rejects.toMatchObject({ name: 'ClientException' });
  });
});
