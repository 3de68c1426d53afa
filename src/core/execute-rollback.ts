import { mapConcurrent } from './collections.js';
import { revisionName, type ServiceSnapshot } from './model.js';
import type { PlannedService, DeploymentPlan } from './plan.js';
import { primaryDeploymentId } from './wait.js';
import {
  errorMessage,
  keyOf,
  type ExecuteOptions,
  type ExecutorDeps,
  type ServiceOutcome,
  type ServiceOutcomeKind,
  type Tracked,
} from './execute-shared.js';
import { describeNow, waitForDeployments } from './execute-wait.js';

export async function rollBack(
  strategy: DeploymentPlan['strategy'],
  changed: readonly PlannedService[],
  snapshots: ReadonlyMap<string, ServiceSnapshot>,
  deps: ExecutorDeps,
  options: ExecuteOptions,
  setOutcome: (planned: PlannedService, outcome: ServiceOutcomeKind, extra?: Partial<ServiceOutcome>) => void,
  outcomeOf: (planned: PlannedService) => ServiceOutcome | undefined,
): Promise<void> {
  const { ecs, emit } = deps;
  emit({ type: 'rollback-started', services: changed.length });
  // Asked afresh: between the last poll and now another rollout may have taken a service over.
  const fresh = await describeNow(changed, deps, options.concurrency);
  const tracked: Tracked[] = [];
  const reverted = new Map<string, PlannedService>();
  const why = (planned: PlannedService) => {
    const previous = outcomeOf(planned);
    // ECS's own reasons end in a full stop ("… failed to start."), which reads badly before "; rolled back".
    return previous?.outcome === 'completed' || previous?.outcome === 'updated'
      ? 'another service in this rollout failed'
      : (previous?.reason ?? 'the rollout failed').replace(/\.+$/, '');
  };

  await mapConcurrent(changed, options.concurrency, async (planned) => {
    const key = keyOf({ cluster: planned.clusterArn, service: planned.service });
    const latest = fresh.get(key) ?? snapshots.get(key);
    const ours = outcomeOf(planned)?.newTaskDefinitionArn;
    if (latest !== undefined && latest.taskDefinitionArn !== ours && latest.taskDefinitionArn !== planned.taskDefinitionArn) {
      // Someone else moved the service on since: putting our "before" back would undo their change.
      setOutcome(planned, 'rollback-failed', {
        reason: `${why(planned)}; not rolled back because the service has since moved to ${revisionName(latest.taskDefinitionArn)}`,
      });
      return;
    }
    try {
      const answer = await ecs.updateService({
        cluster: planned.clusterArn,
        service: planned.service,
        taskDefinitionArn: planned.taskDefinitionArn,
      });
      const deploymentId = primaryDeploymentId(answer);
      emit({
        type: 'service-updated',
        cluster: planned.cluster,
        service: planned.service,
        from: ours ?? planned.taskDefinitionArn,
        to: planned.taskDefinitionArn,
        forced: false,
        ...(deploymentId === undefined ? {} : { deploymentId }),
      });
      if (!options.wait || deploymentId === undefined) {
        setOutcome(planned, 'rolled-back', { reason: `${why(planned)}; put back on ${revisionName(planned.taskDefinitionArn)}` });
        return;
      }
      reverted.set(key, planned);
      tracked.push({
        cluster: planned.clusterArn,
        service: planned.service,
        deploymentId,
        targetTaskDefinitionArn: planned.taskDefinitionArn,
        sourceTaskDefinitionArn: ours ?? planned.taskDefinitionArn,
        // A cluster with no room for the rollout has no room for a rolling rollback either.
        replaceTasks: strategy === 'replace' && planned.schedulingStrategy === 'REPLICA',
      });
    } catch (error) {
      setOutcome(planned, 'rollback-failed', { reason: `${why(planned)}; rolling back failed: ${errorMessage(error)}` });
    }
  });

  if (tracked.length === 0) return;
  const report = await waitForDeployments(tracked, 'rollback', deps, options);
  for (const [key, planned] of reverted) {
    const end = report.ends.get(key);
    if (end?.state === 'completed') {
      setOutcome(planned, 'rolled-back', { reason: `${why(planned)}; rolled back to ${revisionName(planned.taskDefinitionArn)}` });
    } else {
      setOutcome(planned, 'rollback-failed', {
        reason: `${why(planned)}; the rollback to ${revisionName(planned.taskDefinitionArn)} did not finish: ${end === undefined ? 'no answer' : end.reason}`,
      });
    }
  }
}
