/**
 * Following a webhook rollout across Lambda invocations, as data. The worker starts a rollout and
 * hands itself a "check again" message that carries everything the next look needs; each look waits
 * at most its own invocation's budget, and reaching that budget is never a failure, only another
 * message. The rollout ends when every deployment is COMPLETED, FAILED or past the follow deadline.
 * Pure: the follow look (src/app/follow.ts) reads and acts, this decides.
 */

export const FOLLOW_JOB_VERSION = 1;
/** Follow at most this long after a push, whatever is configured: a day. */
export const MAX_FOLLOW_SECONDS = 24 * 60 * 60;
export const DEFAULT_FOLLOW_SECONDS = 60 * 60;
/** SQS's ceiling on one message's delay. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-delay-queues.html */
export const MAX_DELAY_SECONDS = 900;

export type FollowPhase = 'rollout' | 'rollback';
export type FollowedState = 'pending' | 'completed' | 'failed' | 'superseded' | 'rolled-back' | 'rollback-failed';

export interface FollowedService {
  readonly cluster: string;
  readonly clusterArn: string;
  readonly service: string;
  readonly deploymentId: string;
  /** The revision this phase moves the service to. */
  readonly target: string;
  /** The revision it ran before the rollout: where a rollback puts it. */
  readonly previous: string;
  readonly state: FollowedState;
  readonly reason?: string;
}

export interface FollowJob {
  readonly version: typeof FOLLOW_JOB_VERSION;
  readonly kind: 'follow';
  readonly image: string;
  readonly pushedAt: number;
  readonly phase: FollowPhase;
  /** Epoch milliseconds after which a pending deployment counts as timed out. */
  readonly deadline: number;
  /** 1 for the first look; the log shows it, so a user sees a rollout followed across invocations. */
  readonly attempt: number;
  /** Epoch milliseconds when the rollout started, for the diagnosis of a failure. */
  readonly startedAt: number;
  readonly services: readonly FollowedService[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const STATES: readonly FollowedState[] = ['pending', 'completed', 'failed', 'superseded', 'rolled-back', 'rollback-failed'];

function parseService(value: unknown): FollowedService | undefined {
  if (!isRecord(value)) return undefined;
  const { cluster, clusterArn, service, deploymentId, target, previous, state, reason } = value;
  const strings = [cluster, clusterArn, service, deploymentId, target, previous];
  if (!strings.every((field) => typeof field === 'string' && field !== '')) return undefined;
  if (typeof state !== 'string' || !(STATES as readonly string[]).includes(state)) return undefined;
  return {
    cluster: cluster as string,
    clusterArn: clusterArn as string,
    service: service as string,
    deploymentId: deploymentId as string,
    target: target as string,
    previous: previous as string,
    state: state as FollowedState,
    ...(typeof reason === 'string' ? { reason } : {}),
  };
}

/** Validates a follow message: a queue accepts anything its senders send. */
export function parseFollowJob(value: unknown): FollowJob | undefined {
  if (!isRecord(value) || value.version !== FOLLOW_JOB_VERSION || value.kind !== 'follow') return undefined;
  const { image, pushedAt, phase, deadline, attempt, startedAt, services } = value;
  if (typeof image !== 'string' || typeof pushedAt !== 'number' || (phase !== 'rollout' && phase !== 'rollback')) return undefined;
  if (typeof deadline !== 'number' || typeof attempt !== 'number' || typeof startedAt !== 'number' || !Array.isArray(services)) return undefined;
  const parsed = services.map(parseService);
  if (parsed.length === 0 || parsed.some((service) => service === undefined)) return undefined;
  return { version: FOLLOW_JOB_VERSION, kind: 'follow', image, pushedAt, phase, deadline, attempt, startedAt, services: parsed as FollowedService[] };
}

/** How one look at a pending deployment ended. `waiting`: the look's own budget ran out first. */
export type LookEnd = { readonly state: 'completed' | 'waiting' } | { readonly state: 'failed' | 'superseded'; readonly reason: string };

export type FollowDecision =
  /** Look again later with this message. */
  | { readonly kind: 'again'; readonly job: FollowJob }
  /** The rollout failed: put these services back (the AWS side then follows the rollback). */
  | { readonly kind: 'roll-back'; readonly job: FollowJob; readonly services: readonly FollowedService[]; readonly reason: string }
  /** Done: every service settled. */
  | { readonly kind: 'finished'; readonly job: FollowJob; readonly ok: boolean };

/**
 * What follows one look: the services' new states, and whether to look again, roll back or stop.
 * A rollout that failed anywhere is rolled back everywhere it moved a service, as the CLI does; a
 * service a later rollout took over is left to it.
 */
export function decideAfterLook(job: FollowJob, ends: ReadonlyMap<string, LookEnd>, now: number): FollowDecision {
  const timedOut = now >= job.deadline;
  const services = job.services.map((service): FollowedService => {
    if (service.state !== 'pending') return service;
    const end = ends.get(followKey(service));
    if (end === undefined || end.state === 'waiting') {
      if (!timedOut) return service;
      return {
        ...service,
        state: 'failed',
        reason: `the deployment did not finish by the follow deadline (${new Date(job.deadline).toISOString()})`,
      };
    }
    if (end.state === 'completed') return { ...service, state: job.phase === 'rollout' ? 'completed' : 'rolled-back' };
    const reason = 'reason' in end ? end.reason : 'failed';
    if (job.phase === 'rollback')
      return { ...service, state: 'rollback-failed', reason: `${service.reason ?? ''}${service.reason ? '; ' : ''}the rollback failed: ${reason}` };
    return { ...service, state: end.state === 'superseded' ? 'superseded' : 'failed', reason };
  });
  const next: FollowJob = { ...job, attempt: job.attempt + 1, services };
  if (services.some((service) => service.state === 'pending')) return { kind: 'again', job: next };
  if (job.phase === 'rollout') {
    const failed = services.find((service) => service.state === 'failed');
    if (failed !== undefined) {
      const back = services.filter((service) => service.state === 'failed' || service.state === 'completed');
      return { kind: 'roll-back', job: next, services: back, reason: `${failed.cluster}/${failed.service}: ${failed.reason ?? 'failed'}` };
    }
  }
  const ok = job.phase === 'rollout' && services.every((service) => service.state === 'completed' || service.state === 'superseded');
  return { kind: 'finished', job: next, ok };
}

export function followKey(service: { clusterArn: string; service: string }): string {
  return `${service.clusterArn}\u0000${service.service}`;
}

/** The follow deadline of a rollout started `now`; the configured timeout clamped to a day. */
export function followDeadline(now: number, timeoutSeconds: number): number {
  return now + Math.min(MAX_FOLLOW_SECONDS, Math.max(1, timeoutSeconds)) * 1000;
}

/**
 * How long one look may wait: half of what is left of the invocation after a margin for sending the
 * next message, never past the deadline. Zero when the invocation has no time to spare: then the look
 * polls once and hands over.
 */
export function lookBudgetMs(remainingMs: number | undefined, deadline: number, now: number): number {
  const invocation = remainingMs === undefined ? 60_000 : Math.floor((remainingMs - 2_000) / 2);
  return Math.max(0, Math.min(invocation, deadline - now));
}

/** The delay of the next "check again" message, in whole seconds SQS accepts. */
export function nextDelaySeconds(pollIntervalSeconds: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(pollIntervalSeconds)));
}
