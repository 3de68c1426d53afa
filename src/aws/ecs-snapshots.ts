import type { Deployment, Service, Tag as SdkTag, Task, TaskDefinition } from '@aws-sdk/client-ecs';
import {
  nameFromArn,
  type DeploymentControllerType,
  type DeploymentSnapshot,
  type DeploymentStrategy,
  type RolloutState,
  type ServiceSnapshot,
  type TaskDefinitionSnapshot,
  type TaskSnapshot,
} from '../core/model.js';
import { loadBalancersOf, stagedWaitsOf, taskNetworkOf } from './deployments.js';
import { tagsFromSdk } from './tags.js';

/** SDK answers carry Dates and undefineds; snapshots are plain JSON so plans serialise as they are. */
export function toPlainJson(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toPlainJson);
  if (value !== null && typeof value === 'object') {
    const plain: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      if (field !== undefined) plain[key] = toPlainJson(field);
    }
    return plain;
  }
  return value;
}

/** A described or registered task definition as a plain snapshot; undefined when the answer lacks one. */
export function toTaskDefinitionSnapshot(
  definition: TaskDefinition | undefined,
  tags: readonly SdkTag[] | undefined,
): TaskDefinitionSnapshot | undefined {
  if (definition?.taskDefinitionArn === undefined || definition.family === undefined) return undefined;
  return {
    arn: definition.taskDefinitionArn,
    family: definition.family,
    revision: definition.revision ?? 0,
    ...(definition.status === undefined ? {} : { status: definition.status }),
    definition: toPlainJson(definition) as Record<string, unknown>,
    tags: tagsFromSdk(tags),
  };
}

function toDeployment(deployment: Deployment): DeploymentSnapshot {
  return {
    id: deployment.id ?? '',
    status: deployment.status ?? 'UNKNOWN',
    taskDefinitionArn: deployment.taskDefinition ?? '',
    desiredCount: deployment.desiredCount ?? 0,
    runningCount: deployment.runningCount ?? 0,
    pendingCount: deployment.pendingCount ?? 0,
    failedTasks: deployment.failedTasks ?? 0,
    ...(deployment.rolloutState === undefined ? {} : { rolloutState: deployment.rolloutState as RolloutState }),
    ...(deployment.rolloutStateReason === undefined ? {} : { rolloutStateReason: deployment.rolloutStateReason }),
  };
}

export function toServiceSnapshot(service: Service): ServiceSnapshot {
  const clusterArn = service.clusterArn ?? '';
  const configuration = service.deploymentConfiguration;
  return {
    clusterArn,
    clusterName: nameFromArn(clusterArn),
    serviceName: service.serviceName ?? nameFromArn(service.serviceArn ?? ''),
    serviceArn: service.serviceArn ?? '',
    status: service.status ?? 'ACTIVE',
    taskDefinitionArn: service.taskDefinition ?? '',
    desiredCount: service.desiredCount ?? 0,
    runningCount: service.runningCount ?? 0,
    pendingCount: service.pendingCount ?? 0,
    schedulingStrategy: service.schedulingStrategy === 'DAEMON' ? 'DAEMON' : 'REPLICA',
    deploymentController: (service.deploymentController?.type ?? 'ECS') as DeploymentControllerType,
    deploymentStrategy: (configuration?.strategy ?? 'ROLLING') as DeploymentStrategy,
    ...stagedWaitsOf(configuration),
    ...loadBalancersOf(service),
    ...(service.launchType === undefined ? {} : { launchType: service.launchType }),
    ...(service.capacityProviderStrategy === undefined || service.capacityProviderStrategy.length === 0
      ? {}
      : {
          capacityProviderStrategy: service.capacityProviderStrategy.map((item) => ({
            capacityProvider: item.capacityProvider ?? '',
            ...(item.weight === undefined ? {} : { weight: item.weight }),
            ...(item.base === undefined ? {} : { base: item.base }),
          })),
        }),
    ...(service.platformVersion === undefined ? {} : { platformVersion: service.platformVersion }),
    ...(service.networkConfiguration === undefined
      ? {}
      : { networkConfiguration: toPlainJson(service.networkConfiguration) as Record<string, unknown> }),
    // ECS's defaults when the service was created without a deployment configuration.
    minimumHealthyPercent: configuration?.minimumHealthyPercent ?? 100,
    maximumPercent: configuration?.maximumPercent ?? 200,
    deployments: (service.deployments ?? []).map(toDeployment),
    events: (service.events ?? []).slice(0, 5).map((event) => ({
      message: event.message ?? '',
      ...(event.createdAt === undefined ? {} : { createdAt: event.createdAt.toISOString() }),
    })),
  };
}

export function toTaskSnapshot(task: Task): TaskSnapshot {
  return {
    taskArn: task.taskArn ?? '',
    taskDefinitionArn: task.taskDefinitionArn ?? '',
    lastStatus: task.lastStatus ?? 'UNKNOWN',
    desiredStatus: task.desiredStatus ?? 'UNKNOWN',
    ...(task.group === undefined ? {} : { group: task.group }),
    ...(task.startedBy === undefined ? {} : { startedBy: task.startedBy }),
    ...(task.startedAt === undefined ? {} : { startedAt: task.startedAt.toISOString() }),
    ...(task.containers === undefined
      ? {}
      : {
          containers: task.containers.map((container) => ({
            name: container.name ?? '',
            ...(container.image === undefined ? {} : { image: container.image }),
            ...(container.imageDigest === undefined ? {} : { imageDigest: container.imageDigest }),
          })),
        }),
    ...(task.healthStatus === undefined ? {} : { healthStatus: task.healthStatus }),
    ...taskNetworkOf(task),
    ...(task.containerInstanceArn === undefined ? {} : { containerInstanceArn: task.containerInstanceArn }),
    ...networkBindingsOf(task),
  };
}

/** Host ports of bridge and host tasks: with the instance's EC2 id, how an `instance` target group knows the task. */
function networkBindingsOf(task: Task): Pick<TaskSnapshot, 'networkBindings'> {
  const bindings = (task.containers ?? []).flatMap((container) =>
    (container.networkBindings ?? []).flatMap((binding) =>
      binding.hostPort === undefined
        ? []
        : [
            {
              containerName: container.name ?? '',
              ...(binding.containerPort === undefined ? {} : { containerPort: binding.containerPort }),
              hostPort: binding.hostPort,
            },
          ],
    ),
  );
  return bindings.length === 0 ? {} : { networkBindings: bindings };
}
