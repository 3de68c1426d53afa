import { chunk, groupBy, mapConcurrent } from './collections.js';
import type { Phase } from './events.js';
import { resolveTakeover } from './execute-race.js';
import { replaceOldTasks } from './execute-replace.js';
import { type ExecuteOptions, type ExecutorDeps, errorMessage, keyOf, type Tracked, type WaitEnd, type WaitReport } from './execute-shared.js';
import { matchGoneDeployment, RECORD_MATCH_SKEW_MS, recordedReason } from './gone-deployment.js';
import { DESCRIBE_SERVICES_MAX_NAMES } from './limits.js';
import { nameFromArn, type ServiceDeploymentSnapshot, type ServiceSnapshot } from './model.js';
import type { PlannedService } from './plan.js';
import { ecsRollbackReason } from './strategy.js';
import { assessDeployment, type DeploymentAssessment, stuckReason } from './wait.js';

/**
 * Polls the tracked deployments until each completes or fails, or the timeout passes.
 * One DescribeServices call per ten services per poll, never more often than the poll interval.
 */
export async function waitForDeployments(
  tracked: readonly Tracked[],
  phase: Phase,
  deps: ExecutorDeps,
  options: Pick<ExecuteOptions, 'timeoutMs' | 'pollIntervalMs' | 'concurrency' | 'signal'> & { pushedAt?: number },
): Promise<WaitReport> {
  const { ecs, clock, emit } = deps;
  const ends = new Map<string, WaitEnd>();
  const snapshots = new Map<string, ServiceSnapshot>();
  const pending = new Map(tracked.map((entry) => [keyOf(entry), entry]));
  const lastProgress = new Map<string, string>();
  const heldNoticeGiven = new Set<string>();
  const deadline = clock.now() + options.timeoutMs;
  emit({ type: 'wait-started', services: pending.size, timeoutSeconds: Math.round(options.timeoutMs / 1000), phase });

  const settle = (entry: Tracked, end: WaitEnd) => {
    pending.delete(keyOf(entry));
    ends.set(keyOf(entry), end);
    const cluster = nameFromArn(entry.cluster);
    if (end.state === 'completed') emit({ type: 'service-completed', cluster, service: entry.service, phase });
    else emit({ type: 'service-failed', cluster, service: entry.service, phase, reason: end.reason });
  };

  while (pending.size > 0) {
    if (options.signal?.aborted) {
      for (const entry of pending.values()) settle(entry, { state: 'interrupted', reason: 'waiting was interrupted' });
      break;
    }
    await clock.sleep(Math.max(0, Math.min(options.pollIntervalMs, deadline - clock.now())), options.signal);
    if (options.signal?.aborted) continue;

    const byCluster = groupBy([...pending.values()], (entry) => entry.cluster);
    const batches = [...byCluster].flatMap(([cluster, entries]) => chunk(entries, DESCRIBE_SERVICES_MAX_NAMES).map((group) => ({ cluster, group })));
    await mapConcurrent(batches, options.concurrency, async ({ cluster, group }) => {
      let described: ServiceSnapshot[];
      try {
        described = await ecs.describeServices(
          cluster,
          group.map((entry) => entry.service),
        );
      } catch (error) {
        emit({ type: 'notice', cluster: nameFromArn(cluster), message: `could not describe services, will retry: ${errorMessage(error)}` });
        return;
      }
      const byName = new Map(described.map((service) => [service.serviceName, service]));
      for (const entry of group) {
        const snapshot = byName.get(entry.service);
        if (snapshot === undefined || snapshot.status === 'INACTIVE') {
          settle(entry, { state: 'failed', reason: 'the service no longer exists' });
          continue;
        }
        snapshots.set(keyOf(entry), snapshot);
        const assessment = assessDeployment(snapshot, entry.deploymentId, { settleCount: entry.settleCount === true });
        const serviceDeployment = entry.staged === true ? await latestServiceDeployment(entry, deps) : undefined;
        const progress =
          serviceDeployment?.lifecycleStage === undefined ? assessment.progress : { ...assessment.progress, stage: serviceDeployment.lifecycleStage };
        const progressKey = JSON.stringify(progress);
        if (lastProgress.get(keyOf(entry)) !== progressKey) {
          lastProgress.set(keyOf(entry), progressKey);
          emit({ type: 'progress', cluster: snapshot.clusterName, service: entry.service, phase, progress });
        }
        const rolledBackByEcs =
          assessment.state === 'failed' && entry.staged === true
            ? ecsRollbackReason(entry.sourceTaskDefinitionArn, snapshot, serviceDeployment, assessment.reason)
            : undefined;
        if (assessment.state === 'completed') settle(entry, { state: 'completed' });
        else if (rolledBackByEcs !== undefined) settle(entry, { state: 'rolled-back', reason: rolledBackByEcs });
        else if (assessment.state === 'failed') {
          const takeover = await resolveTakeover(entry, snapshot, deps, options.pushedAt);
          if (takeover === undefined) settle(entry, { state: 'failed', reason: await explainGone(entry, snapshot, deps, assessment) });
          else if (takeover.kind === 'yield') settle(entry, { state: 'superseded', reason: takeover.reason });
          else
            pending.set(keyOf(entry), {
              ...entry,
              deploymentId: takeover.deploymentId,
              reapplied: (entry.reapplied ?? 0) + 1,
              updatedAt: clock.now(),
            });
        } else if (entry.replaceTasks) await replaceOldTasks(entry, snapshot, deps, heldNoticeGiven);
      }
    });

    if (pending.size > 0 && clock.now() >= deadline) {
      for (const entry of pending.values()) {
        const snapshot = snapshots.get(keyOf(entry));
        const stuck = snapshot === undefined ? undefined : stuckReason(snapshot);
        settle(entry, {
          state: 'timed-out',
          reason: `the deployment did not finish within ${Math.round(options.timeoutMs / 1000)} s${stuck === undefined ? '' : `; ECS says: ${stuck}`}`,
        });
      }
    }
  }
  return { ends, snapshots };
}

/**
 * A deployment that left the service's list between two polls: ECS's record of it says why (one more read, only
 * then). Without a record matched for certain, or when reading fails (permission, throttling), the
 * assessment's own words stand.
 */
async function explainGone(
  entry: Tracked,
  snapshot: ServiceSnapshot,
  { ecs }: ExecutorDeps,
  { reason, gone }: Extract<DeploymentAssessment, { state: 'failed' }>,
): Promise<string> {
  // A staged deployment's record is read on every poll already (ecsRollbackReason).
  if (gone !== true || entry.staged === true || entry.updatedAt === undefined || ecs.serviceDeploymentsSince === undefined) return reason;
  try {
    const records = await ecs.serviceDeploymentsSince(entry.cluster, entry.service, entry.updatedAt - RECORD_MATCH_SKEW_MS);
    const record = matchGoneDeployment(records, entry.updatedAt);
    return record === undefined ? reason : recordedReason(entry.deploymentId, record, snapshot);
  } catch {
    return reason;
  }
}

/** The service's newest service deployment, for its stage; undefined when ECS (or the permission) does not tell. */
async function latestServiceDeployment(entry: Tracked, { ecs }: ExecutorDeps): Promise<ServiceDeploymentSnapshot | undefined> {
  try {
    return await ecs.latestServiceDeployment?.(entry.cluster, entry.service);
  } catch {
    return undefined;
  }
}

export async function describeNow(
  services: readonly PlannedService[],
  { ecs }: ExecutorDeps,
  concurrency: number,
): Promise<Map<string, ServiceSnapshot>> {
  const found = new Map<string, ServiceSnapshot>();
  const batches = [...groupBy(services, (planned) => planned.clusterArn)].flatMap(([cluster, group]) =>
    chunk(group, DESCRIBE_SERVICES_MAX_NAMES).map((names) => ({ cluster, names })),
  );
  await mapConcurrent(batches, concurrency, async ({ cluster, names }) => {
    try {
      for (const snapshot of await ecs.describeServices(
        cluster,
        names.map((planned) => planned.service),
      )) {
        found.set(keyOf({ cluster, service: snapshot.serviceName }), snapshot);
      }
    } catch {
      // The last poll's snapshot stands in.
    }
  });
  return found;
}
