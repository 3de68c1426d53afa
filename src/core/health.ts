import type { TaskSnapshot } from './model.js';

/**
 * When ECS counts a task toward minimumHealthyPercent
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html):
 *
 * - without a load balancer: when every essential container with a health check is HEALTHY; a task with no
 *   such container counts 40 seconds after it reached RUNNING;
 * - with a load balancer: when the target group health check reports it healthy, and, if it has an essential
 *   container with a health check, when that is HEALTHY too.
 *
 * A task in several target groups must be healthy in every one of them.
 */
export const NO_HEALTH_CHECK_GRACE_MS = 40_000;

/** One target group the service registers its tasks in, and the target states it reported. */
export interface TargetGroupHealth {
  readonly targetGroupArn: string;
  readonly containerName?: string;
  readonly containerPort?: number;
  /** DescribeTargetHealth's answer: target id (an IP for `ip` targets, an EC2 instance id for `instance` targets)
   * and port, with its State. */
  readonly targets: readonly { readonly id: string; readonly port?: number; readonly state: string }[];
}

export interface HealthContext {
  /** The revision being rolled out: only its tasks (the replacements) wait out the 40 s grace. */
  readonly targetTaskDefinitionArn: string;
  /** Task definition ARN → does an essential container of it define a health check? */
  readonly hasContainerHealthCheck: ReadonlyMap<string, boolean>;
  /** Empty for a service without a load balancer. */
  readonly targetGroups: readonly TargetGroupHealth[];
  /** Container instance ARN → EC2 instance id, for tasks an `instance` target group knows by instance and host port. */
  readonly ec2InstanceIds?: ReadonlyMap<string, string>;
  readonly now: number;
}

/** Why a task does not count yet, or undefined when ECS would count it. */
export function notHealthyReason(task: TaskSnapshot, context: HealthContext): string | undefined {
  if (task.lastStatus !== 'RUNNING') return `${task.lastStatus.toLowerCase()}`;
  const checked = context.hasContainerHealthCheck.get(task.taskDefinitionArn) === true;
  if (checked && task.healthStatus !== 'HEALTHY') return `container health check ${task.healthStatus ?? 'UNKNOWN'}`;
  for (const group of context.targetGroups) {
    const target = group.targets.find((candidate) => isTargetOf(task, group, candidate, context));
    if (target?.state !== 'healthy') return `target ${target?.state ?? 'not registered'} in ${group.targetGroupArn}`;
  }
  // Tasks of the old revision have long passed the grace (and comparing their start with this machine's clock
  // would only measure clock skew); the replacements are the ones warming up.
  if (!checked && context.targetGroups.length === 0 && task.taskDefinitionArn === context.targetTaskDefinitionArn) {
    const started = task.startedAt === undefined ? Number.NaN : Date.parse(task.startedAt);
    if (!(context.now - started >= NO_HEALTH_CHECK_GRACE_MS)) return 'running for less than 40 s';
  }
  return undefined;
}

/**
 * Is this target the task? An `ip` target is the task's own address at the container port
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb.html); an `instance` target is the EC2 instance the
 * task runs on at the host port ECS bound for the service's container and port (bridge: often a dynamic port, so
 * one instance holds several targets; host: the container port).
 */
function isTargetOf(task: TaskSnapshot, group: TargetGroupHealth, candidate: { id: string; port?: number }, context: HealthContext): boolean {
  if (task.privateIpv4Address !== undefined) {
    return (
      candidate.id === task.privateIpv4Address &&
      (group.containerPort === undefined || candidate.port === undefined || candidate.port === group.containerPort)
    );
  }
  const instanceId = task.containerInstanceArn === undefined ? undefined : context.ec2InstanceIds?.get(task.containerInstanceArn);
  if (instanceId === undefined || candidate.id !== instanceId || candidate.port === undefined) return false;
  return (task.networkBindings ?? []).some(
    (binding) =>
      binding.hostPort === candidate.port &&
      (group.containerName === undefined || binding.containerName === group.containerName) &&
      (group.containerPort === undefined || binding.containerPort === undefined || binding.containerPort === group.containerPort),
  );
}

/** The tasks ECS counts toward the healthy floor now. */
export function healthyTaskArns(tasks: readonly TaskSnapshot[], context: HealthContext): Set<string> {
  return new Set(tasks.filter((task) => notHealthyReason(task, context) === undefined).map((task) => task.taskArn));
}

/** Does an essential container of this task definition define a health check? */
export function definesContainerHealthCheck(definition: Readonly<Record<string, unknown>>): boolean {
  const containers = Array.isArray(definition.containerDefinitions) ? (definition.containerDefinitions as Record<string, unknown>[]) : [];
  return containers.some((container) => container.essential !== false && typeof container.healthCheck === 'object' && container.healthCheck !== null);
}
