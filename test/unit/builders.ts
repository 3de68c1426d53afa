/**
 * Fixture builders for unit tests: each returns a complete, realistic snapshot and takes
 * overrides for only what a test is about, so a test states what matters and nothing else.
 */
import { parseTargetImage, type ImageReference } from '../../src/core/image-ref.js';
import type { DeploymentSnapshot, ServiceSnapshot, Tag, TaskDefinitionSnapshot, TaskSnapshot } from '../../src/core/model.js';
import type { ObservedState, RolloutRequest, Strategy } from '../../src/core/plan.js';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
const ARN_PREFIX = `arn:aws:ecs:${REGION}:${ACCOUNT}`;

export const clusterArnOf = (cluster: string): string => `${ARN_PREFIX}:cluster/${cluster}`;
export const serviceArnOf = (cluster: string, service: string): string => `${ARN_PREFIX}:service/${cluster}/${service}`;
export const taskDefinitionArnOf = (family: string, revision: number): string => `${ARN_PREFIX}:task-definition/${family}:${revision}`;
export const taskArnOf = (cluster: string, id: string): string => `${ARN_PREFIX}:task/${cluster}/${id}`;

export type ContainerDefinition = Record<string, unknown> & { name: string; image: string };

export function aContainer(overrides: Partial<ContainerDefinition> = {}): ContainerDefinition {
  return {
    name: 'app',
    image: 'nginx:1',
    essential: true,
    cpu: 0,
    portMappings: [{ containerPort: 80, protocol: 'tcp' }],
    environment: [{ name: 'MODE', value: 'production' }],
    ...overrides,
  };
}

export interface TaskDefinitionOverrides {
  readonly family?: string;
  readonly revision?: number;
  readonly containers?: readonly ContainerDefinition[];
  /** Extra or replacement top-level fields of the definition, as DescribeTaskDefinition returns them. */
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly tags?: readonly Tag[];
}

/** A task definition as the SDK adapter snapshots it: `definition` carries the read-only fields too. */
export function aTaskDefinition(overrides: TaskDefinitionOverrides = {}): TaskDefinitionSnapshot {
  const family = overrides.family ?? 'web';
  const revision = overrides.revision ?? 1;
  const arn = taskDefinitionArnOf(family, revision);
  return {
    arn,
    family,
    revision,
    status: 'ACTIVE',
    definition: {
      taskDefinitionArn: arn,
      family,
      revision,
      status: 'ACTIVE',
      containerDefinitions: (overrides.containers ?? [aContainer()]).map((container) => structuredClone(container)),
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      requiresCompatibilities: ['FARGATE'],
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`,
      requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
      compatibilities: ['EC2', 'FARGATE'],
      registeredAt: '2026-01-02T03:04:05.000Z',
      registeredBy: `arn:aws:iam::${ACCOUNT}:user/deployer`,
      ...overrides.fields,
    },
    tags: overrides.tags ?? [],
  };
}

export function aDeployment(overrides: Partial<DeploymentSnapshot> = {}): DeploymentSnapshot {
  const desiredCount = overrides.desiredCount ?? 2;
  return {
    id: 'ecs-svc/1111111111111111111',
    status: 'PRIMARY',
    taskDefinitionArn: taskDefinitionArnOf('web', 1),
    desiredCount,
    runningCount: desiredCount,
    pendingCount: 0,
    failedTasks: 0,
    rolloutState: 'COMPLETED',
    ...overrides,
  };
}

/**
 * A stable ACTIVE service. `clusterName`, `serviceName`, `taskDefinitionArn` and the counts flow into
 * the derived ARNs and the default single COMPLETED deployment unless those are overridden too.
 */
export function aService(overrides: Partial<ServiceSnapshot> = {}): ServiceSnapshot {
  const clusterName = overrides.clusterName ?? 'prod';
  const serviceName = overrides.serviceName ?? 'web';
  const taskDefinitionArn = overrides.taskDefinitionArn ?? taskDefinitionArnOf('web', 1);
  const desiredCount = overrides.desiredCount ?? 2;
  const runningCount = overrides.runningCount ?? desiredCount;
  return {
    clusterArn: clusterArnOf(clusterName),
    clusterName,
    serviceName,
    serviceArn: serviceArnOf(clusterName, serviceName),
    status: 'ACTIVE',
    taskDefinitionArn,
    desiredCount,
    runningCount,
    pendingCount: 0,
    schedulingStrategy: 'REPLICA',
    deploymentController: 'ECS',
    launchType: 'FARGATE',
    minimumHealthyPercent: 100,
    maximumPercent: 200,
    deployments: [aDeployment({ taskDefinitionArn, desiredCount, runningCount })],
    events: [],
    ...overrides,
  };
}

export function aTask(overrides: Partial<TaskSnapshot> & { id?: string } = {}): TaskSnapshot {
  const { id = 'task-1', ...rest } = overrides;
  return {
    taskArn: taskArnOf('prod', id),
    taskDefinitionArn: taskDefinitionArnOf('web', 1),
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    group: 'service:web',
    startedAt: '2026-01-01T00:00:00.000Z',
    ...rest,
  };
}

/** The state discovery would return for these services and the task definitions they run. */
export function anObservedState(
  services: readonly ServiceSnapshot[],
  definitions: readonly TaskDefinitionSnapshot[],
  idleFamilies?: readonly TaskDefinitionSnapshot[],
): ObservedState {
  return {
    services,
    taskDefinitions: Object.fromEntries(definitions.map((definition) => [definition.arn, definition])),
    ...(idleFamilies === undefined ? {} : { idleFamilies }),
  };
}

export function aRequest(image: string, overrides: { strategy?: Strategy; force?: boolean } = {}): RolloutRequest {
  return { target: parseTargetImage(image), strategy: overrides.strategy ?? 'rolling', force: overrides.force ?? false };
}

export function targetOf(image: string): ImageReference {
  return parseTargetImage(image);
}
