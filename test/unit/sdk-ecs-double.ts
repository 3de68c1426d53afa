/**
 * An ECS client double for SdkEcs and discoverRolloutState. The sandbox (moto) cannot be made to page
 * ListClusters, ListServices or ListTasks, or to refuse oversized DescribeServices/DescribeTasks calls,
 * deterministically enough for this, so these unit tests pin the API limits with a client double whose
 * `send(command)` records `command.constructor.name` and `command.input` and answers from a table of
 * handlers that page and refuse the way ECS documents.
 */
import type { ECSClient, Service } from '@aws-sdk/client-ecs';
import { SdkEcs } from '../../src/aws/ecs.js';
import { FakeEcsClient, type SdkHandler as Handler, type SdkInput as Input } from '../fakes.js';
import { clusterArnOf, serviceArnOf, taskDefinitionArnOf } from './builders.js';

export function sdkEcs(handlers: Record<string, Handler>): { ecs: SdkEcs; client: FakeEcsClient } {
  const client = new FakeEcsClient(handlers);
  return { ecs: new SdkEcs(client as unknown as ECSClient), client };
}

/**
 * A List* operation over `items`, paged as ECS pages: `maxResults` per page (ECS's default when
 * absent, which is smaller than 100 for some operations), an opaque nextToken while more remain.
 */
export function paged(key: string, items: (input: Input) => readonly string[], defaultMaxResults = 10): Handler {
  return (input) => {
    const all = items(input);
    const size = typeof input.maxResults === 'number' ? input.maxResults : defaultMaxResults;
    if (size > 100) throw Object.assign(new Error('maxResults must be at most 100'), { name: 'InvalidParameterException' });
    const start = typeof input.nextToken === 'string' ? Number(input.nextToken.replace('token-', '')) : 0;
    const end = Math.min(start + size, all.length);
    return { [key]: all.slice(start, end), ...(end < all.length ? { nextToken: `token-${end}` } : {}) };
  };
}

export const names = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix}-${String(index).padStart(3, '0')}`);

/** An SDK Service as DescribeServices returns it. */
export function sdkService(cluster: string, name: string, overrides: Partial<Service> = {}): Service {
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
export function describeServicesFrom(clusters: Record<string, readonly Service[]>): Handler {
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

export function describeTaskDefinitionFrom(families: readonly string[]): Handler {
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
