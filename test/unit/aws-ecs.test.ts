// SdkEcs keeps within ECS's API limits: List* operations page with maxResults 100 and follow nextToken,
// DescribeServices takes at most 10 names and DescribeTasks 100 ARNs (against sdk-ecs-double.ts).
import type { Task } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import type { SdkInput as Input } from '../fakes.js';
import { clusterArnOf, serviceArnOf, taskArnOf, taskDefinitionArnOf } from './builders.js';
import { describeServicesFrom, describeTaskDefinitionFrom, names, paged, sdkEcs, sdkService } from './sdk-ecs-double.js';

describe('SdkEcs list operations page with maxResults 100 and follow nextToken', () => {
  it('ListClusters', async () => {
    const arns = names('cluster', 230).map(clusterArnOf);
    const { ecs, client } = sdkEcs({ ListClustersCommand: paged('clusterArns', () => arns, 100) });
    await expect(ecs.listClusterArns()).resolves.toEqual(arns);
    expect(client.named('ListClustersCommand')).toEqual([
      { maxResults: 100, nextToken: undefined },
      { maxResults: 100, nextToken: 'token-100' },
      { maxResults: 100, nextToken: 'token-200' },
    ]);
  });

  it('ListServices', async () => {
    const arns = names('svc', 150).map((name) => serviceArnOf('prod', name));
    const { ecs, client } = sdkEcs({ ListServicesCommand: paged('serviceArns', () => arns) });
    await expect(ecs.listServiceArns('prod')).resolves.toEqual(arns);
    const calls = client.named('ListServicesCommand');
    expect(calls).toHaveLength(2);
    expect(calls.map((input) => [input.cluster, input.maxResults, input.nextToken])).toEqual([
      ['prod', 100, undefined],
      ['prod', 100, 'token-100'],
    ]);
  });

  it('ListServices on a missing cluster is a usage error naming it', async () => {
    const { ecs } = sdkEcs({
      ListServicesCommand: () => {
        throw Object.assign(new Error('Cluster not found.'), { name: 'ClusterNotFoundException' });
      },
    });
    const error = await ecs.listServiceArns('nope').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as Error).message).toContain('nope');
  });

  it('ListTaskDefinitionFamilies asks for ACTIVE families', async () => {
    const families = names('family', 120);
    const { ecs, client } = sdkEcs({ ListTaskDefinitionFamiliesCommand: paged('families', () => families) });
    await expect(ecs.listActiveFamilies()).resolves.toEqual(families);
    expect(client.named('ListTaskDefinitionFamiliesCommand').map((input) => [input.status, input.maxResults])).toEqual([
      ['ACTIVE', 100],
      ['ACTIVE', 100],
    ]);
  });
});

describe('SdkEcs.describeServices', () => {
  it('refuses more than 10 names without calling ECS', async () => {
    const { ecs, client } = sdkEcs({ DescribeServicesCommand: describeServicesFrom({ prod: [] }) });
    await expect(ecs.describeServices('prod', names('svc', 11))).rejects.toThrow(RangeError);
    expect(client.sent).toEqual([]);
  });

  it('does not call ECS for no names', async () => {
    const { ecs, client } = sdkEcs({});
    await expect(ecs.describeServices('prod', [])).resolves.toEqual([]);
    expect(client.sent).toEqual([]);
  });

  it('describes 10 names in one call and snapshots the answer', async () => {
    const services = names('svc', 10).map((name) => sdkService('prod', name));
    const { ecs, client } = sdkEcs({ DescribeServicesCommand: describeServicesFrom({ prod: services }) });
    const snapshots = await ecs.describeServices('prod', names('svc', 10));
    expect(snapshots.map((snapshot) => snapshot.serviceName)).toEqual(names('svc', 10));
    expect(client.named('DescribeServicesCommand')).toEqual([{ cluster: 'prod', services: names('svc', 10) }]);
  });
});

describe('SdkEcs.listServiceTasks', () => {
  const taskArns = names('task', 250).map((id) => taskArnOf('prod', id));
  const tasks: Task[] = taskArns.map((taskArn, index) => ({
    taskArn,
    taskDefinitionArn: taskDefinitionArnOf('web', 1),
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    // Most belong to web; every 10th to another service (an emulator ignoring serviceName); every 25th has no group.
    ...(index % 25 === 0 ? {} : { group: index % 10 === 0 ? 'service:web-canary' : 'service:web' }),
    startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, index)),
  }));
  const handlers = {
    ListTasksCommand: paged('taskArns', () => taskArns, 100),
    DescribeTasksCommand: (input: Input) => {
      const requested = input.tasks as string[];
      if (requested.length > 100) throw Object.assign(new Error('tasks must contain at most 100 items'), { name: 'InvalidParameterException' });
      return { tasks: tasks.filter((task) => requested.includes(task.taskArn ?? '')) };
    },
  };

  it('lists RUNNING tasks of the service in pages of 100 and describes them in groups of at most 100', async () => {
    const { ecs, client } = sdkEcs(handlers);
    await ecs.listServiceTasks('prod', 'web');
    expect(client.named('ListTasksCommand')).toEqual([
      { cluster: 'prod', serviceName: 'web', desiredStatus: 'RUNNING', maxResults: 100, nextToken: undefined },
      { cluster: 'prod', serviceName: 'web', desiredStatus: 'RUNNING', maxResults: 100, nextToken: 'token-100' },
      { cluster: 'prod', serviceName: 'web', desiredStatus: 'RUNNING', maxResults: 100, nextToken: 'token-200' },
    ]);
    const describes = client.named('DescribeTasksCommand');
    expect(describes).toHaveLength(3);
    expect(describes.map((input) => (input.tasks as string[]).length)).toEqual([100, 100, 50]);
    expect(describes.flatMap((input) => input.tasks as string[])).toEqual(taskArns);
    expect(describes.every((input) => input.cluster === 'prod')).toBe(true);
  });

  it('keeps the service’s own tasks and those without a group, and drops another service’s', async () => {
    const { ecs } = sdkEcs(handlers);
    const listed = await ecs.listServiceTasks('prod', 'web');
    const expected = tasks.filter((task) => task.group === undefined || task.group === 'service:web');
    expect(listed.map((task) => task.taskArn)).toEqual(expected.map((task) => task.taskArn));
    expect(listed.some((task) => task.group === 'service:web-canary')).toBe(false);
    expect(listed.length).toBeLessThan(250);
    expect(listed[1]).toEqual({
      taskArn: taskArns[1],
      taskDefinitionArn: taskDefinitionArnOf('web', 1),
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      group: 'service:web',
      startedAt: '2026-01-01T00:00:01.000Z',
    });
  });

  it('describes nothing when the service has no tasks', async () => {
    const { ecs, client } = sdkEcs({ ListTasksCommand: paged('taskArns', () => [], 100) });
    await expect(ecs.listServiceTasks('prod', 'web')).resolves.toEqual([]);
    expect(client.named('DescribeTasksCommand')).toEqual([]);
  });
});

describe('SdkEcs.describeTaskDefinition', () => {
  it('asks for tags, keeps them, and describes each revision once', async () => {
    const { ecs, client } = sdkEcs({ DescribeTaskDefinitionCommand: describeTaskDefinitionFrom(['web']) });
    const arn = taskDefinitionArnOf('web', 3);
    const [first, second] = await Promise.all([ecs.describeTaskDefinition(arn), ecs.describeTaskDefinition(arn)]);
    await ecs.describeTaskDefinition(arn);
    expect(second).toBe(first);
    expect(client.named('DescribeTaskDefinitionCommand')).toEqual([{ taskDefinition: arn, include: ['TAGS'] }]);
    expect(first?.tags).toEqual([
      { key: 'team', value: 'web' },
      { key: 'empty', value: '' },
    ]);
    expect(first?.definition.registeredAt).toBe('2026-01-02T03:04:05.000Z');
    expect(JSON.parse(JSON.stringify(first?.definition))).toEqual(first?.definition);
  });

  it('does not cache a failure', async () => {
    let calls = 0;
    const { ecs } = sdkEcs({
      DescribeTaskDefinitionCommand: (input) => {
        calls += 1;
        if (calls === 1) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        return describeTaskDefinitionFrom(['web'])(input);
      },
    });
    await expect(ecs.describeTaskDefinition(taskDefinitionArnOf('web', 1))).rejects.toThrow('Rate exceeded');
    await expect(ecs.describeTaskDefinition(taskDefinitionArnOf('web', 1))).resolves.toMatchObject({ family: 'web', revision: 1 });
    expect(calls).toBe(2);
  });
});
