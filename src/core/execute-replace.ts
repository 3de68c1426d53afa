import { STOP_TASK_REASON_MAX_CHARS } from './limits.js';
import { revisionName, type ServiceSnapshot } from './model.js';
import { nextReplacementBatch } from './replace.js';
import { errorMessage, keyOf, type ExecutorDeps, type Tracked } from './execute-shared.js';

export async function replaceOldTasks(
  entry: Tracked,
  snapshot: ServiceSnapshot,
  deps: ExecutorDeps,
  heldNoticeGiven: Set<string>,
): Promise<void> {
  const { ecs, emit } = deps;
  try {
    const tasks = await ecs.listServiceTasks(entry.cluster, entry.service);
    const step = nextReplacementBatch({
      tasks,
      targetTaskDefinitionArn: entry.targetTaskDefinitionArn,
      desiredCount: snapshot.desiredCount,
      minimumHealthyPercent: snapshot.minimumHealthyPercent,
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
    emit({ type: 'notice', cluster: snapshot.clusterName, service: entry.service, message: `replacing tasks failed, will retry: ${errorMessage(error)}` });
  }
}
/** The reason StopTask records, within ECS's limit however long the family name. */
export function stopReason(targetTaskDefinitionArn: string): string {
  const reason = `ecs-roll: replacing with ${revisionName(targetTaskDefinitionArn)}`;
  return reason.length <= STOP_TASK_REASON_MAX_CHARS ? reason : `${reason.slice(0, STOP_TASK_REASON_MAX_CHARS - 1)}…`;
}
