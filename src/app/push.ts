/**
 * "A push job reached the worker": the one entry every source of pushes feeds (the receiver's queue,
 * a direct invocation, an ECR event turned into a RolloutJob). It re-checks the job against the
 * install's allow-list and policy, starts the rollout without waiting, and hands the deployments to
 * the follow queue, so no invocation waits longer than its own budget.
 *
 * Safe to run twice for one push (SQS delivers at least once): a second run finds the services on
 * the push's revision, picks up following a deployment that is still in progress, and a push that
 * was rolled back is not rolled out again.
 */
import type { RolloutResult } from '../core/execute.js';
import { followDeadline, type FollowedService, type FollowJob, FOLLOW_JOB_VERSION } from '../core/follow.js';
import type { DeploymentPlan } from '../core/plan.js';
import { imageChanges } from '../core/plan-services.js';
import { parseTargetImage } from '../core/image-ref.js';
import { policyRejectsTag } from '../core/update-policy.js';
import type { EcsReader } from '../core/ports.js';
import type { WebhookConfig } from '../webhook/config.js';
import { logEvent, type LogLine } from '../webhook/log.js';
import type { RolloutJob } from '../webhook/receiver.js';
import { runRollout, type RolloutPorts } from './rollout.js';
import { pushRolloutRequest } from './webhook-job.js';

/** Set on a revision the worker rolled back from, to the push time that brought it: that push is not applied again. */
export const ROLLED_BACK_TAG = 'ecs-roll:rolled-back-push';

/** What every source of pushes gives the worker: the image (with its tag) and when it was pushed. */
export type PushJob = Pick<RolloutJob, 'image' | 'pushedAt'>;

/** Hands a follow message to the queue, delayed by the poll interval. */
export type SendFollow = (job: FollowJob) => Promise<void>;

export type PushOutcome = 'refused' | 'ignored' | 'following' | 'finished';

/** The rollout's ports, and ECS to read for a start an earlier, killed run left in progress. */
export interface PushPorts extends Omit<RolloutPorts, 'emit'> {
  readonly ecs: EcsReader;
}

export async function startPush(
  job: PushJob,
  config: WebhookConfig,
  ports: PushPorts,
  log: LogLine,
  sendFollow: SendFollow,
  remainingMs?: number,
): Promise<PushOutcome> {
  const context = { job: job.image, pushedAt: job.pushedAt };
  const reference = parseTargetImage(job.image);
  // Anything allowed to send to the queue or invoke the worker could name any repository.
  if (!config.repositories.includes(reference.repository)) {
    log({ ...context, level: 'warn', event: 'job-refused', reason: `${reference.repository} is not in this install's allow-list` });
    return 'refused';
  }
  const ignored = reference.tag === undefined ? undefined : policyRejectsTag(config.policy, reference.tag);
  if (ignored !== undefined) {
    log({ ...context, event: 'job-ignored', reason: ignored });
    return 'ignored';
  }
  log({ ...context, event: 'job-started' });
  const { ecs, ...rolloutPorts } = ports;
  const startedAt = ports.clock.now();
  const { plan, result, refused } = await runRollout(
    {
      ...pushRolloutRequest(job, config, process.env),
      // Started here, followed through the follow queue: no invocation waits for a deployment.
      wait: false,
      // Without waiting, this bounds only the start itself (discovery, registrations, updates, run-before):
      // it must end inside this invocation, with time left to send the follow message.
      timeoutMs: startBudgetMs(remainingMs, config.timeoutSeconds),
      pollIntervalMs: config.pollIntervalSeconds * 1000,
      rollback: true,
      ...(config.runBefore === undefined || config.runBefore.length === 0 ? {} : { runBefore: config.runBefore, runBeforeIgnoresOtherImages: true }),
      runTimeoutMs: startBudgetMs(remainingMs, config.timeoutSeconds),
      vetPlan: (planned, reader) => rolledBackBefore(reader, planned, job),
    },
    { ...rolloutPorts, emit: (event) => logEvent(log, event, context) },
  );
  if (refused !== undefined || result === undefined) {
    log({ ...context, event: 'job-finished', ok: false, outcome: 'ignored', reason: refused ?? 'nothing was run', services: [] });
    return 'ignored';
  }
  const followed = result.ok ? [...started(plan, result), ...(await resumed(ecs, plan))] : [];
  if (followed.length > 0) {
    const follow: FollowJob = {
      version: FOLLOW_JOB_VERSION,
      kind: 'follow',
      image: job.image,
      pushedAt: job.pushedAt,
      phase: 'rollout',
      deadline: followDeadline(startedAt, config.timeoutSeconds),
      attempt: 1,
      startedAt,
      services: followed,
    };
    await sendFollow(follow);
    log({ ...context, event: 'job-following', services: followed.map(({ cluster, service, deploymentId }) => ({ cluster, service, deploymentId })) });
    return 'following';
  }
  log({
    ...context,
    event: 'job-finished',
    ok: result.ok,
    services: result.services.map((service) => ({
      cluster: service.cluster,
      service: service.service,
      outcome: service.outcome,
      ...(service.reason === undefined ? {} : { reason: service.reason }),
    })),
  });
  return 'finished';
}

function startBudgetMs(remainingMs: number | undefined, timeoutSeconds: number): number {
  return Math.max(1000, Math.min(timeoutSeconds * 1000, (remainingMs ?? 900_000) - 30_000));
}

function started(plan: DeploymentPlan, result: RolloutResult): FollowedService[] {
  return result.services.flatMap((service) => {
    const planned = plan.services.find((candidate) => candidate.cluster === service.cluster && candidate.service === service.service);
    if (planned === undefined || service.outcome !== 'updated' || service.deploymentId === undefined || service.newTaskDefinitionArn === undefined)
      return [];
    return [
      {
        cluster: service.cluster,
        clusterArn: planned.clusterArn,
        service: service.service,
        deploymentId: service.deploymentId,
        target: service.newTaskDefinitionArn,
        previous: service.oldTaskDefinitionArn,
        state: 'pending' as const,
      },
    ];
  });
}

/**
 * A run killed after UpdateService and before the follow message leaves services on the push's
 * revision with their deployment in progress: the retry plans them as unchanged, and follows them.
 */
async function resumed(ecs: EcsReader, plan: DeploymentPlan): Promise<FollowedService[]> {
  // The plan names them `wait`: already on the push's revision, with a deployment that has not finished.
  const unchanged = plan.services.filter((planned) => planned.action === 'wait');
  const found: FollowedService[] = [];
  for (const planned of unchanged) {
    const [snapshot] = await ecs.describeServices(planned.clusterArn, [planned.service]);
    const primary = snapshot?.deployments.find((deployment) => deployment.status === 'PRIMARY');
    const before = snapshot?.deployments.find((deployment) => deployment.status === 'ACTIVE');
    if (
      primary === undefined ||
      before === undefined ||
      primary.rolloutState !== 'IN_PROGRESS' ||
      primary.taskDefinitionArn !== planned.taskDefinitionArn
    )
      continue;
    found.push({
      cluster: planned.cluster,
      clusterArn: planned.clusterArn,
      service: planned.service,
      deploymentId: primary.id,
      target: primary.taskDefinitionArn,
      previous: before.taskDefinitionArn,
      state: 'pending',
    });
  }
  return found;
}

/** Why this push must not run again: the revision it made was rolled back. Undefined when it may run. */
async function rolledBackBefore(ecs: EcsReader, plan: DeploymentPlan, job: PushJob): Promise<string | undefined> {
  const target = parseTargetImage(job.image);
  for (const registration of plan.registrations) {
    const newest = await ecs.latestTaskDefinition(registration.family);
    if (newest === undefined) continue;
    const mark = newest.tags.find((tag) => tag.key === ROLLED_BACK_TAG)?.value;
    const sameImage = imageChanges(newest, target).every((change) => change.from === change.to);
    if (mark === String(job.pushedAt) && sameImage) {
      return `the push of ${job.image} at ${job.pushedAt} was rolled back from ${newest.family}:${newest.revision}; not rolled out again`;
    }
  }
  return undefined;
}
