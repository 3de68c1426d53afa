// The sandbox's control routes (reset, pause, tick, record, call log) and the ECS API limits and filters it adds
// where moto lacks them, proved with the real AWS SDK client.
import {
  CreateClusterCommand,
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  PutAccountSettingCommand,
  ListTasksCommand,
  StopTaskCommand,
  TagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { CLUSTER, control, createService, describe1, ecs, primary, serviceTasks, steady, taskDefinition } from './sandbox-ecs.js';

beforeEach(async () => {
  await control.reset();
  await control.config({ tick: 0.1 });
  await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
});

describe('control routes', () => {
  it('is deterministic: the same calls and ticks after a reset give the same ids and record', async () => {
    const run = async () => {
      await control.reset({ paused: true });
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

  it('refuses to tag a service with a pre-2021 short ARN, as AWS does, and tags a long one', async () => {
    const td = await taskDefinition('web', 'nginx:1.0');
    await ecs.send(new PutAccountSettingCommand({ name: 'serviceLongArnFormat', value: 'disabled' }));
    const legacy = (await createService({ serviceName: 'legacy', taskDefinition: td, desiredCount: 0 })).serviceArn!;
    expect(legacy).toMatch(/:service\/legacy$/);
    const refused = await ecs.send(new TagResourceCommand({ resourceArn: legacy, tags: [{ key: 'team', value: 'a' }] })).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(refused?.name).toBe('InvalidParameterException');
    expect(refused?.message).toMatch(/Long arn format/);
    await ecs.send(new PutAccountSettingCommand({ name: 'serviceLongArnFormat', value: 'enabled' }));
    const current = (await createService({ serviceName: 'current', taskDefinition: td, desiredCount: 0 })).serviceArn!;
    await ecs.send(new TagResourceCommand({ resourceArn: current, tags: [{ key: 'team', value: 'a' }] }));
    expect((await ecs.send(new ListTagsForResourceCommand({ resourceArn: current }))).tags).toEqual([{ key: 'team', value: 'a' }]);
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
