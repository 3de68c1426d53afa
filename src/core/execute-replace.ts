import { STOP_TASK_REASON_MAX_CHARS } from './limits.js';
import { revisionName, type ServiceSnapshot, type TaskSnapshot } from './model.js';
import { definesContainerHealthCheck, healthyTaskArns, type HealthContext } from './health.js';
import { nextReplacementBatch } from './replace.js';
import { errorMessage, keyOf, type ExecutorDeps, type Tracked } from './execute-shared.js';

export async function replaceOldTasks(entry: Tracked, snapshot: ServiceSnapshot, deps: ExecutorDeps, heldNoticeGiven: Set<string>): Promise<void> {
  const { ecs, emit } = deps;
  try {
    const tasks = await ecs.listServiceTasks(entry.cluster, entry.service);
    const context = await healthContext(entry, snapshot, tasks, deps);
    const step = nextReplacementBatch({
      tasks,
      targetTaskDefinitionArn: entry.targetTaskDefinitionArn,
      desiredCount: snapshot.desiredCount,
      minimumHealthyPercent: snapshot.minimumHealthyPercent,
      healthyTaskArns: healthyTaskArns(tasks, context),
    });
    if (step.holdReason === 'minimum-healthy' && !heldNoticeGiven.has(keyOf(entry))) {
      heldNoticeGiven.add(keyOf(entry));
      emit({
        type: 'notice',
        cluster: snapshot.clusterName,
        service: entry.service,
        message: `minimumHealthyPercent ${snapshot.minimumHealthyPercent} leaves no task to stop; waiting for ECS's own deployment`,
      });
    }
    if (step.stop.length === 0) return;
    for (const task of step.stop) {
      await ecs.stopTask(entry.cluster, task.taskArn, stopReason(entry.targetTaskDefinitionArn));
    }
    emit({
      type: 'tasks-stopped',
      cluster: snapshot.clusterName,
      service: entry.service,
      taskArns: step.stop.map((task) => task.taskArn),
      remainingOld: step.remainingOld - step.stop.length,
    });
  } catch (error) {
    emit({
      type: 'notice',
      cluster: snapshot.clusterName,
      service: entry.service,
      message: `replacing tasks failed, will retry: ${errorMessage(error)}`,
    });
  }
}
/** The reason StopTask records, within ECS's limit however long the family name. */
export function stopReason(targetTaskDefinitionArn: string): string {
  const reason = `ecs-roll: replacing with ${revisionName(targetTaskDefinitionArn)}`;
  return reason.length <= STOP_TASK_REASON_MAX_CHARS ? reason : `${reason.slice(0, STOP_TASK_REASON_MAX_CHARS - 1)}…`;
}

/**
 * What ECS looks at before it counts a task: each revision's container health checks, and the target health of
 * every target group of the service. A load-balanced service with no way to ask the load balancer stops nothing.
 */
async function healthContext(
  entry: Tracked,
  snapshot: ServiceSnapshot,
  tasks: readonly TaskSnapshot[],
  { ecs, elb, clock }: ExecutorDeps,
): Promise<HealthContext> {
  const revisions = [...new Set(tasks.map((task) => task.taskDefinitionArn))];
  const checks = await Promise.all(
    revisions.map(async (arn) => [arn, definesContainerHealthCheck((await ecs.describeTaskDefinition(arn)).definition)] as const),
  );
  const balancers = snapshot.loadBalancers ?? [];
  if (balancers.length > 0 && elb === undefined) throw new Error('no load balancer client to check target health with');
  const targetGroups = await Promise.all(
    balancers.map(async (balancer) => ({
      targetGroupArn: balancer.targetGroupArn,
      ...(balancer.containerName === undefined ? {} : { containerName: balancer.containerName }),
      ...(balancer.containerPort === undefined ? {} : { containerPort: balancer.containerPort }),
      targets: await (elb as NonNullable<typeof elb>).targetHealth(balancer.targetGroupArn),
    })),
  );
  // Bridge and host tasks have no address of their own: an `instance` target group knows them by instance and port.
  const onInstances =
    balancers.length === 0
      ? []
      : [
          ...new Set(
            tasks.flatMap((task) =>
              task.privateIpv4Address === undefined && task.containerInstanceArn !== undefined ? [task.containerInstanceArn] : [],
            ),
          ),
        ];
  const ec2InstanceIds =
    onInstances.length === 0 || ecs.ec2InstanceIds === undefined ? undefined : await ecs.ec2InstanceIds(entry.cluster, onInstances);
  return {
    targetTaskDefinitionArn: entry.targetTaskDefinitionArn,
    hasContainerHealthCheck: new Map(checks),
    targetGroups,
    ...(ec2InstanceIds === undefined ? {} : { ec2InstanceIds }),
    now: clock.now(),
  };
}
