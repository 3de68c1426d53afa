import { revisionName, type ServiceSnapshot } from './model.js';
import { recordedPushTime } from './plan.js';
import type { EcsPort } from './ports.js';
import { primaryDeploymentId } from './wait.js';
import { revisionNumber, type ExecutorDeps, type Tracked } from './execute-shared.js';

/** Re-applying over older rollouts stops after this many tries, so two runs can never fight for ever. */
const MAX_REAPPLY = 3;

/**
 * Is their revision from a later rollout than ours? Equal times (two runs started in the same instant)
 * are settled by the revision itself, so both runs reach the same answer.
 */
function isLater(theirs: number, theirArn: string, ours: number, ourArn: string): boolean {
  if (theirs !== ours) return theirs > ours;
  const byRevision = revisionNumber(theirArn) - revisionNumber(ourArn);
  return byRevision !== 0 ? byRevision > 0 : theirArn > ourArn;
}

async function pushTimeOf(ecs: EcsPort, taskDefinitionArn: string): Promise<number | undefined> {
  try {
    return recordedPushTime(await ecs.describeTaskDefinition(taskDefinitionArn));
  } catch {
    return undefined;
  }
}

/**
 * After an update: did it overwrite a revision that a later ecs-roll rollout had just set? UpdateService's
 * answer still lists the previous deployments; one of a third revision, newer than this run, is that.
 */
export async function newerRolloutOverwritten(
  answer: ServiceSnapshot,
  source: string,
  ours: string,
  pushedAt: number,
  ecs: EcsPort,
): Promise<string | undefined> {
  const others = [...new Set(answer.deployments.map((deployment) => deployment.taskDefinitionArn))].filter(
    (arn) => arn !== source && arn !== ours && arn !== '',
  );
  for (const other of others) {
    const theirs = await pushTimeOf(ecs, other);
    if (theirs !== undefined && isLater(theirs, other, pushedAt, ours)) return other;
  }
  return undefined;
}

/**
 * The tracked deployment failed because the service now runs a third revision: someone else moved it.
 * A later ecs-roll rollout wins (this run yields); an older one that landed last is overwritten again;
 * a change from outside ecs-roll is left alone. Undefined when it was a plain failure.
 */
export async function resolveTakeover(
  entry: Tracked,
  snapshot: ServiceSnapshot,
  { ecs, emit }: ExecutorDeps,
  pushedAt: number | undefined,
): Promise<{ kind: 'yield'; reason: string } | { kind: 'reapplied'; deploymentId: string } | undefined> {
  const now = snapshot.taskDefinitionArn;
  if (entry.settleCount === true || now === entry.sourceTaskDefinitionArn) return undefined;
  if (now === entry.targetTaskDefinitionArn) {
    // Another run gave the service back to this one with a deployment of its own: follow that one.
    const primary = snapshot.deployments.find((deployment) => deployment.status === 'PRIMARY');
    if (primary === undefined || primary.id === entry.deploymentId || primary.taskDefinitionArn !== now) return undefined;
    if ((entry.reapplied ?? 0) >= MAX_REAPPLY) return undefined;
    return { kind: 'reapplied', deploymentId: primary.id };
  }
  const theirs = await pushTimeOf(ecs, now);
  if (pushedAt === undefined || theirs === undefined) {
    return { kind: 'yield', reason: `the service was moved to ${revisionName(now)} by something other than this run; left there` };
  }
  if (isLater(theirs, now, pushedAt, entry.targetTaskDefinitionArn) || (entry.reapplied ?? 0) >= MAX_REAPPLY) {
    return { kind: 'yield', reason: `a later rollout moved it to ${revisionName(now)}; left to it` };
  }
  const answer = await ecs.updateService({ cluster: entry.cluster, service: entry.service, taskDefinitionArn: entry.targetTaskDefinitionArn });
  const deploymentId = primaryDeploymentId(answer);
  if (deploymentId === undefined) return undefined;
  emit({
    type: 'notice',
    cluster: snapshot.clusterName,
    service: entry.service,
    message: `an older rollout overwrote ${revisionName(entry.targetTaskDefinitionArn)} with ${revisionName(now)}; put it back`,
  });
  return { kind: 'reapplied', deploymentId };
}
