/**
 * SdkEcs against a fake ECS client. The sandbox (moto) cannot be made to page ListClusters,
 * ListServices or ListTasks, or to refuse oversized DescribeServices/DescribeTasks calls,
 * deterministically enough for this, so this unit test pins the API limits with a client
 * double whose `send(command)` records `command.constructor.name` and `command.input` and
 * answers from a table of handlers that page and refuse the way ECS documents.
 */
import type { ECSClient, Service, Task } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { SdkEcs } from '../../src/aws/ecs.js';
import { discoverRolloutState } from '../../src/aws/ecs-discovery.js';
import { toPlainJson, toServiceSnapshot } from '../../src/aws/ecs-snapshots.js';
import { UsageError } from '../../src/core/errors.js';
import { clusterArnOf, serviceArnOf, taskArnOf, taskDefinitionArnOf } from './builders.js';
import { FakeEcsClient, type SdkHandler as Handler, type SdkInput as Input } from '../fakes.js';

function sdkEcs(handlers: Record<string, Handler>): { ecs: SdkEcs; client: FakeEcsClient } {
  const client = new FakeEcsClient(handlers);
  return { ecs: new SdkEcs(client as unknown as ECSClient), client };
}

/**
 * A List* operation over `items`, paged as ECS pages: `maxResults` per page (ECS's default when
 * absent, which is smaller than 100 for some operations), an opaque nextToken while more remain.
 */
function paged(key: string, items: (input: Input) => readonly string[], defaultMaxResults = 10): Handler {
  return (input) => {
    const all = items(input);
    const size = typeof input.maxResults === 'number' ? input.maxResults : defaultMaxResults;
    if (size > 100) throw Object.assign(new Error('maxResults must be at most 100'), { name: 'InvalidParameterException' });
    const start = typeof input.nextToken === 'string' ? Number(input.nextToken.replace('token-', '')) : 0;
    const end = Math.min(start + size, all.length);
    return { [key]: all.slice(start, end), ...(end < all.length ? { nextToken: `token-${end}` } : {}) };
  };
}

const names = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix}-${String(index).padStart(3, '0')}`);

/** An SDK Service as DescribeServices returns it. */
function sdkService(cluster: string, name: string, overrides: Partial<Service> = {}): Service {
  return {
    clusterArn: clusterArnOf(cluster),
    serviceName: name,
    serviceArn: serviceArnOf(cluster, name),
    status: 'ACTIVE',
    taskDefinition: taskDefinitionArnOf('web', 1),
    desiredCount: 2,
    runningCount: 2,
    pendingCount: 0,
    launchType: 'FARGATE',
    deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 200 },
    deployments: [
      {
        id: 'ecs-svc/1',
        status: 'PRIMARY',
        taskDefinition: taskDefinitionArnOf('web', 1),
        desiredCount: 2,
        runningCount: 2,
        pendingCount: 0,
        failedTasks: 0,
        rolloutState: 'COMPLETED',
      },
    ],
    events: [],
    ...overrides,
  };
}

/** DescribeServices over a table of clusters: ≤10 names, names or ARNs, MISSING failures for the rest. */
function describeServicesFrom(clusters: Record<string, readonly Service[]>): Handler {
  return (input) => {
    const requested = input.services as string[];
    if (requested.length > 10) throw Object.assign(new Error('services must contain at most 10 items'), { name: 'InvalidParameterException' });
    const cluster = String(input.cluster).split('/').pop() ?? '';
    const services = clusters[cluster];
    if (services === undefined) throw Object.assign(new Error('Cluster not found.'), { name: 'ClusterNotFoundException' });
    const found: Service[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const name of requested) {
      const service = services.find((candidate) => candidate.serviceName === name || candidate.serviceArn === name);
      if (service === undefined) failures.push({ arn: name, reason: 'MISSING' });
      else found.push(service);
    }
    return { services: found, failures };
  };
}

function describeTaskDefinitionFrom(families: readonly string[]): Handler {
  return (input) => {
    const requested = String(input.taskDefinition);
    const match = /task-definition\/([^:]+):(\d+)$/.exec(requested);
    const family = match?.[1] ?? requested;
    const revision = match?.[2] === undefined ? 5 : Number(match[2]);
    if (!families.includes(family)) throw Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' });
    return {
      taskDefinition: {
        taskDefinitionArn: taskDefinitionArnOf(family, revision),
        family,
        revision,
        status: 'ACTIVE',
        containerDefinitions: [{ name: 'app', image: 'nginx:1', essential: true, secrets: undefined }],
        registeredAt: new Date('2026-01-02T03:04:05.000Z'),
      },
      tags: [{ key: 'team', value: 'web' }, { key: 'empty' }],
    };
  };
}

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

describe('discoverRolloutState', () => {
  /** `count` services in each cluster, spread round-robin over `revisions` revisions of `web`. */
  function fleet(clusters: readonly string[], count: number, revisions: number) {
    const table = Object.fromEntries(
      clusters.map((cluster) => [
        cluster,
        names('svc', count).map((name, index) => sdkService(cluster, name, { taskDefinition: taskDefinitionArnOf('web', 1 + (index % revisions)) })),
      ]),
    );
    return sdkEcs({
      ListClustersCommand: paged('clusterArns', () => clusters.map(clusterArnOf), 100),
      ListServicesCommand: paged('serviceArns', (input) =>
        (table[String(input.cluster).split('/').pop() ?? ''] ?? []).map((service) => service.serviceArn ?? ''),
      ),
      DescribeServicesCommand: describeServicesFrom(table),
      DescribeTaskDefinitionCommand: describeTaskDefinitionFrom(['web', 'batch', 'cron']),
      ListTaskDefinitionFamiliesCommand: paged('families', () => ['batch', 'cron', 'web']),
    });
  }

  it('describes 23 services in 3 calls of at most 10', async () => {
    const { ecs, client } = fleet(['prod'], 23, 1);
    const state = await discoverRolloutState(ecs, { clusters: ['prod'], allFamilies: false, concurrency: 8 });
    expect(state.services).toHaveLength(23);
    const describes = client.named('DescribeServicesCommand');
    expect(describes).toHaveLength(3);
    expect(describes.map((input) => (input.services as string[]).length).sort()).toEqual([10, 10, 3]);
    expect(client.named('ListServicesCommand')[0]).toMatchObject({ cluster: 'prod', maxResults: 100 });
    expect(client.named('ListClustersCommand')).toEqual([]);
  });

  it('describes each distinct task definition exactly once though 50 services share 3 revisions', async () => {
    const { ecs, client } = fleet(['prod'], 50, 3);
    const state = await discoverRolloutState(ecs, { clusters: ['prod'], allFamilies: false, concurrency: 8 });
    const described = client.named('DescribeTaskDefinitionCommand').map((input) => input.taskDefinition);
    // The family first (its newest revision, 5 here, is not in use), then each revision in use.
    expect(described.sort()).toEqual([...[1, 2, 3].map((revision) => taskDefinitionArnOf('web', revision)), 'web']);
    expect(Object.keys(state.taskDefinitions).sort()).toEqual([1, 2, 3].map((revision) => taskDefinitionArnOf('web', revision)));
    expect(state.idleFamilies).toBeUndefined();
  });

  it('lists every cluster when none are given and describes shared revisions once across clusters', async () => {
    const { ecs, client } = fleet(['prod', 'staging'], 12, 3);
    const state = await discoverRolloutState(ecs, { allFamilies: false, concurrency: 8 });
    expect(state.services).toHaveLength(24);
    expect(client.named('ListClustersCommand')).toHaveLength(1);
    expect(client.named('DescribeServicesCommand')).toHaveLength(4);
    expect(client.named('DescribeTaskDefinitionCommand')).toHaveLength(1 + 3);
  });

  it('with named services describes them directly, without ListServices', async () => {
    const { ecs, client } = fleet(['prod'], 30, 1);
    const state = await discoverRolloutState(ecs, {
      clusters: ['prod'],
      services: ['svc-001', serviceArnOf('prod', 'svc-017')],
      allFamilies: false,
      concurrency: 8,
    });
    expect(client.named('ListServicesCommand')).toEqual([]);
    expect(client.named('DescribeServicesCommand')).toEqual([{ cluster: 'prod', services: ['svc-001', 'svc-017'] }]);
    expect(state.services.map((service) => service.serviceName)).toEqual(['svc-001', 'svc-017']);
  });

  it('throws a usage error naming a service that no cluster holds', async () => {
    const { ecs } = fleet(['prod', 'staging'], 5, 1);
    const error = await discoverRolloutState(ecs, { services: ['svc-001', 'ghost'], allFamilies: false, concurrency: 8 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as Error).message).toContain('ghost');
    expect((error as Error).message).not.toContain('svc-001');
  });

  it('turns a missing named cluster into a usage error', async () => {
    const { ecs } = fleet(['prod'], 5, 1);
    const error = await discoverRolloutState(ecs, { clusters: ['nope'], services: ['svc-001'], allFamilies: false, concurrency: 8 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain('nope');
  });

  it('leaves out INACTIVE services', async () => {
    const table = { prod: [sdkService('prod', 'live'), sdkService('prod', 'dead', { status: 'INACTIVE' })] };
    const { ecs } = sdkEcs({
      ListServicesCommand: paged('serviceArns', () => table.prod.map((service) => service.serviceArn ?? '')),
      DescribeServicesCommand: describeServicesFrom(table),
      DescribeTaskDefinitionCommand: describeTaskDefinitionFrom(['web']),
    });
    const state = await discoverRolloutState(ecs, { clusters: ['prod'], allFamilies: false, concurrency: 2 });
    expect(state.services.map((service) => service.serviceName)).toEqual(['live']);
  });

  it('with allFamilies describes the newest revision of each family no service runs', async () => {
    const { ecs, client } = fleet(['prod'], 3, 1);
    const state = await discoverRolloutState(ecs, { clusters: ['prod'], allFamilies: true, concurrency: 8 });
    expect(state.idleFamilies?.map((definition) => definition.family).sort()).toEqual(['batch', 'cron']);
    const described = client.named('DescribeTaskDefinitionCommand').map((input) => input.taskDefinition);
    // Every family once by name: the one in use to find its newest revision, the idle ones for theirs.
    expect(described.filter((name) => !String(name).includes(':')).sort()).toEqual(['batch', 'cron', 'web']);
  });
});

describe('toPlainJson', () => {
  it.each([
    { case: 'a Date', value: new Date('2026-01-02T03:04:05.678Z'), plain: '2026-01-02T03:04:05.678Z' },
    { case: 'undefined fields', value: { a: 1, b: undefined, c: null }, plain: { a: 1, c: null } },
    {
      case: 'nested Dates and undefineds',
      value: { at: new Date(0), list: [{ when: new Date(1000), gone: undefined }], deep: { deeper: { x: undefined, y: 'y' } } },
      plain: { at: '1970-01-01T00:00:00.000Z', list: [{ when: '1970-01-01T00:00:01.000Z' }], deep: { deeper: { y: 'y' } } },
    },
    { case: 'scalars', value: 'text', plain: 'text' },
    { case: 'numbers and booleans', value: { n: 0, f: false, s: '' }, plain: { n: 0, f: false, s: '' } },
    { case: 'null', value: null, plain: null },
  ])('$case', ({ value, plain }) => {
    const converted = toPlainJson(value);
    expect(converted).toStrictEqual(plain);
    expect(JSON.parse(JSON.stringify(converted))).toStrictEqual(plain);
  });

  it('has no undefined-valued keys left', () => {
    expect(Object.keys(toPlainJson({ a: undefined, b: 1 }) as object)).toEqual(['b']);
  });
});

describe('toServiceSnapshot', () => {
  it('defaults to minimumHealthyPercent 100 and maximumPercent 200 without a deployment configuration', () => {
    const { deploymentConfiguration: _none, ...service } = sdkService('prod', 'web');
    expect(toServiceSnapshot(service)).toMatchObject({ minimumHealthyPercent: 100, maximumPercent: 200 });
  });

  it.each([
    { configuration: {}, min: 100, max: 200 },
    { configuration: { minimumHealthyPercent: 0 }, min: 0, max: 200 },
    { configuration: { maximumPercent: 150 }, min: 100, max: 150 },
    { configuration: { minimumHealthyPercent: 50, maximumPercent: 100 }, min: 50, max: 100 },
  ])('takes $configuration as min $min / max $max', ({ configuration, min, max }) => {
    expect(toServiceSnapshot(sdkService('prod', 'web', { deploymentConfiguration: configuration }))).toMatchObject({
      minimumHealthyPercent: min,
      maximumPercent: max,
    });
  });

  it('maps names, controller, deployments and the newest five events', () => {
    const snapshot = toServiceSnapshot(
      sdkService('prod', 'web', {
        deploymentController: { type: 'CODE_DEPLOY' },
        schedulingStrategy: 'DAEMON',
        events: Array.from({ length: 8 }, (_, index) => ({
          id: `e${index}`,
          message: `event ${index}`,
          createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 8 - index)),
        })),
      }),
    );
    expect(snapshot).toMatchObject({
      clusterArn: clusterArnOf('prod'),
      clusterName: 'prod',
      serviceName: 'web',
      deploymentController: 'CODE_DEPLOY',
      schedulingStrategy: 'DAEMON',
      launchType: 'FARGATE',
    });
    expect(snapshot.deployments).toEqual([
      {
        id: 'ecs-svc/1',
        status: 'PRIMARY',
        taskDefinitionArn: taskDefinitionArnOf('web', 1),
        desiredCount: 2,
        runningCount: 2,
        pendingCount: 0,
        failedTasks: 0,
        rolloutState: 'COMPLETED',
      },
    ]);
    expect(snapshot.events.map((event) => event.message)).toEqual(['event 0', 'event 1', 'event 2', 'event 3', 'event 4']);
    expect(snapshot.events[0]?.createdAt).toBe('2026-01-01T00:00:08.000Z');
    expect(JSON.parse(JSON.stringify(snapshot))).toStrictEqual(snapshot);
  });

  it('defaults controller to ECS and strategy to REPLICA', () => {
    expect(toServiceSnapshot({ serviceName: 'web' })).toMatchObject({
      deploymentController: 'ECS',
      schedulingStrategy: 'REPLICA',
      deployments: [],
      events: [],
    });
  });
});
