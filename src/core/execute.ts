import { chunk, groupBy, mapConcurrent } from './collections.js';
import type { Diagnosis } from './diagnosis.js';
import type { EmitEvent, Phase } from './events.js';
import { DESCRIBE_SERVICES_MAX_NAMES } from './limits.js';
import { TransientAwsError } from './errors.js';
import { nameFromArn, revisionName, type ServiceSnapshot, type TaskDefinitionSnapshot } from './model.js';
import { recordedPushTime, type PlannedRegistration, type PlannedService, type RolloutPlan } from './plan.js';
import { registrationInput, sameRegistration } from './task-definition.js';
import type { Clock, EcsPort } from './ports.js';
import { nextReplacementBatch } from './replace.js';
import { assessDeployment, primaryDeploymentId, stuckReason } from './wait.js';

/** 2: a service that did not finish carries `diagnosis` (see src/core/diagnosis.ts). */
export const RESULT_VERSION = 2;

export type ServiceOutcomeKind =
  /** The deployment the update created reached COMPLETED. */
  | 'completed'
  /** Updated without waiting (`--no-wait`). */
  | 'updated'
  | 'unchanged'
  | 'skipped'
  /** Not touched because an earlier step failed or the run was interrupted. */
  | 'not-started'
  | 'failed'
  | 'timed-out'
  | 'rolled-back'
  | 'rollback-failed'
  /** Updated, then waiting was interrupted before the deployment finished. */
  | 'interrupted'
  /** A later rollout (or a change outside ecs-roll) took the service over; it is left to that one. */
  | 'superseded';

const SUCCESSFUL_OUTCOMES: ReadonlySet<ServiceOutcomeKind> = new Set(['completed', 'updated', 'unchanged', 'skipped']);

export interface ServiceOutcome {
  readonly cluster: string;
  readonly service: string;
  readonly action: PlannedService['action'];
  readonly oldTaskDefinitionArn: string;
  readonly newTaskDefinitionArn?: string;
  readonly deploymentId?: string;
  readonly outcome: ServiceOutcomeKind;
  readonly reason?: string;
  /** Why it did not finish: added after the run for failed, timed-out and rolled-back services. */
  readonly diagnosis?: Diagnosis;
}

export interface RolloutResult {
  readonly version: typeof RESULT_VERSION;
  readonly kind: 'rollout-result';
  readonly target: RolloutPlan['target'];
  readonly ok: boolean;
  readonly registrations: readonly { readonly family: string; readonly from: string; readonly to: string }[];
  readonly services: readonly ServiceOutcome[];
}

export interface ExecuteOptions {
  readonly wait: boolean;
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly rollback: boolean;
  readonly concurrency: number;
  /** Aborting stops waiting (no new changes are started); what was changed is reported. */
  readonly signal?: AbortSignal;
}

export interface ExecutorDeps {
  readonly ecs: EcsPort;
  readonly clock: Clock;
  readonly emit: EmitEvent;
}

interface Tracked {
  readonly cluster: string;
  readonly service: string;
  readonly deploymentId: string;
  readonly targetTaskDefinitionArn: string;
  /** What the service ran before this run moved it; a service back on it was rolled back by ECS. */
  readonly sourceTaskDefinitionArn: string;
  readonly replaceTasks: boolean;
  /** A desired-count change: done when the count has settled, not when a new deployment completes. */
  readonly settleCount?: boolean;
  /** Times this run put its revision back over an older rollout that had overwritten it. */
  readonly reapplied?: number;
}

type WaitEnd =
  | { readonly state: 'completed' }
  | { readonly state: 'failed' | 'timed-out' | 'interrupted' | 'superseded'; readonly reason: string };

interface WaitReport {
  readonly ends: Map<string, WaitEnd>;
  /** The newest snapshot seen of each service, to check nobody else moved it before rolling back. */
  readonly snapshots: Map<string, ServiceSnapshot>;
}

const keyOf = (entry: { cluster: string; service: string }) => `${entry.cluster}\u0000${entry.service}`;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Carries out a rollout plan: registers the new revisions, points services at them, waits for the
 * deployments those updates created, and on failure puts back what it changed.
 */
export async function executeRollout(plan: RolloutPlan, deps: ExecutorDeps, options: ExecuteOptions): Promise<RolloutResult> {
  const { ecs, emit } = deps;
  const outcomes = new Map<string, ServiceOutcome>();
  const setOutcome = (planned: PlannedService, outcome: ServiceOutcomeKind, extra: Partial<ServiceOutcome> = {}) => {
    const previous = outcomes.get(keyOf(planned));
    outcomes.set(keyOf(planned), {
      cluster: planned.cluster,
      service: planned.service,
      action: planned.action,
      oldTaskDefinitionArn: planned.taskDefinitionArn,
      ...(previous?.newTaskDefinitionArn === undefined ? {} : { newTaskDefinitionArn: previous.newTaskDefinitionArn }),
      ...(previous?.deploymentId === undefined ? {} : { deploymentId: previous.deploymentId }),
      ...extra,
      outcome,
    });
  };
  const finish = (registrations: RolloutResult['registrations']): RolloutResult => {
    const services = plan.services.map((planned) => outcomes.get(keyOf(planned)) as ServiceOutcome);
    return {
      version: RESULT_VERSION,
      kind: 'rollout-result',
      target: plan.target,
      ok: services.every((service) => SUCCESSFUL_OUTCOMES.has(service.outcome)),
      registrations,
      services,
    };
  };

  for (const planned of plan.services) {
    if (planned.action === 'none') setOutcome(planned, 'unchanged', { reason: planned.reason ?? 'already on the target' });
    else if (planned.action === 'skip') setOutcome(planned, 'skipped', { reason: planned.reason ?? 'skipped' });
    else setOutcome(planned, 'not-started');
  }

  // Register every revision before touching any service, so a refused registration changes nothing.
  const newArns = new Map<string, string>();
  const registered: { family: string; from: string; to: string }[] = [];
  try {
    // Families in parallel, one family's registrations one after another: registerIdempotently can only
    // recognise a registration whose answer was lost while it is still its family's newest revision.
    const families = [...groupBy(plan.registrations, (registration) => registration.family).values()];
    await mapConcurrent(families, options.concurrency, async (family) => {
      for (const registration of family) {
        // Ctrl-C during discovery or registration: register nothing more; no service will be moved to it.
        if (options.signal?.aborted) throw new RegistrationInterrupted();
        const { taskDefinitionArn, reused } = await registerIdempotently(registration, deps, options.signal);
        newArns.set(registration.sourceTaskDefinitionArn, taskDefinitionArn);
        registered.push({ family: registration.family, from: registration.sourceTaskDefinitionArn, to: taskDefinitionArn });
        emit({
          type: 'registered',
          family: registration.family,
          from: registration.sourceTaskDefinitionArn,
          to: taskDefinitionArn,
          changes: registration.changes,
          reused,
        });
      }
    });
  } catch (error) {
    const reason =
      error instanceof RegistrationInterrupted
        ? 'interrupted before this service was updated'
        : `registering a new task definition revision failed, so no service was changed: ${errorMessage(error)}`;
    for (const planned of plan.services) {
      if (planned.action === 'update' || planned.action === 'redeploy') setOutcome(planned, 'not-started', { reason });
    }
    return finish(registered);
  }

  const movable = plan.services.filter(
    (planned) => planned.action === 'update' || planned.action === 'redeploy' || planned.action === 'scale',
  );
  const tracked: Tracked[] = [];
  const changed: PlannedService[] = [];
  await mapConcurrent(movable, options.concurrency, async (planned) => {
    if (options.signal?.aborted) {
      setOutcome(planned, 'not-started', { reason: 'interrupted before this service was updated' });
      return;
    }
    const forced = planned.action === 'redeploy';
    const scaling = planned.action === 'scale';
    const target = forced || scaling ? planned.taskDefinitionArn : newArns.get(planned.registration ?? '');
    if (target === undefined) throw new Error(`plan names registration ${planned.registration} that it does not contain`);
    try {
      const answer = await ecs.updateService({
        cluster: planned.clusterArn,
        service: planned.service,
        // A scale sends no task definition at all, so it cannot undo a rollout running beside it.
        ...(scaling ? { desiredCount: planned.targetDesiredCount ?? planned.desiredCount } : { taskDefinitionArn: target }),
        ...(forced ? { forceNewDeployment: true } : {}),
      });
      if (planned.action === 'update' && plan.pushedAt !== undefined) {
        const newer = await newerRolloutOverwritten(answer, planned.taskDefinitionArn, target, plan.pushedAt, ecs);
        if (newer !== undefined) {
          // Two rollouts raced and this older one landed last: give the service back to the newer one.
          await ecs.updateService({ cluster: planned.clusterArn, service: planned.service, taskDefinitionArn: newer });
          setOutcome(planned, 'superseded', { reason: `a later rollout had already moved it to ${revisionName(newer)}; left there` });
          emit({ type: 'notice', cluster: planned.cluster, service: planned.service, message: `a later rollout owns this service (${revisionName(newer)}); left to it` });
          return;
        }
      }
      const deploymentId = primaryDeploymentId(answer);
      if (planned.action === 'update') changed.push(planned);
      setOutcome(planned, 'updated', { newTaskDefinitionArn: target, ...(deploymentId === undefined ? {} : { deploymentId }) });
      emit({
        type: 'service-updated',
        cluster: planned.cluster,
        service: planned.service,
        from: planned.taskDefinitionArn,
        to: target,
        forced,
        ...(scaling ? { desiredCount: { from: planned.desiredCount, to: planned.targetDesiredCount ?? planned.desiredCount } } : {}),
        ...(deploymentId === undefined ? {} : { deploymentId }),
      });
      if (deploymentId === undefined) {
        setOutcome(planned, 'failed', { reason: 'UpdateService answered without a PRIMARY deployment to follow' });
      } else {
        tracked.push({
          cluster: planned.clusterArn,
          service: planned.service,
          deploymentId,
          targetTaskDefinitionArn: target,
          sourceTaskDefinitionArn: planned.taskDefinitionArn,
          replaceTasks: plan.strategy === 'replace' && planned.schedulingStrategy === 'REPLICA' && !scaling,
          ...(scaling ? { settleCount: true } : {}),
        });
      }
    } catch (error) {
      setOutcome(planned, 'failed', { reason: `UpdateService failed: ${errorMessage(error)}` });
    }
  });

  let snapshots = new Map<string, ServiceSnapshot>();
  if (options.wait && tracked.length > 0) {
    const report = await waitForDeployments(tracked, 'rollout', deps, {
      ...options,
      ...(plan.pushedAt === undefined ? {} : { pushedAt: plan.pushedAt }),
    });
    snapshots = report.snapshots;
    for (const planned of movable) {
      const end = report.ends.get(keyOf({ cluster: planned.clusterArn, service: planned.service }));
      if (end === undefined) continue;
      if (end.state === 'completed') setOutcome(planned, 'completed');
      else setOutcome(planned, end.state, { reason: end.reason });
    }
  }

  const failed = [...outcomes.values()].some((outcome) => outcome.outcome === 'failed' || outcome.outcome === 'timed-out');
  if (failed && options.rollback && !options.signal?.aborted && changed.length > 0) {
    await rollBack(plan.strategy, changed, snapshots, deps, options, setOutcome, (planned) => outcomes.get(keyOf(planned)));
  }
  return finish(registered);
}

class RegistrationInterrupted extends Error {}

/** Attempts of one registration when AWS throttles or drops the connection. */
const REGISTER_ATTEMPTS = 6;
const REGISTER_BACKOFF_MS = 500;
/** How far above the source revision to look for a copy an earlier run left behind. */
const RECENT_REVISIONS_TO_SCAN = 10;

function revisionNumber(taskDefinitionArn: string): number {
  return Number(taskDefinitionArn.slice(taskDefinitionArn.lastIndexOf(':') + 1));
}

/** Does every container the registration changes already run its new image in `candidate`? */
function runsTargetImages(candidate: TaskDefinitionSnapshot, registration: PlannedRegistration): boolean {
  const containers = candidate.definition.containerDefinitions;
  if (!Array.isArray(containers)) return false;
  const images = new Map((containers as { name?: unknown; image?: unknown }[]).map((container) => [container.name, container.image]));
  return registration.changes.every((change) => images.get(change.container) === change.to);
}

/**
 * Registers the plan's revision at most once. A run killed after registering, or a registration whose
 * answer was lost, left an identical revision above the source: that one is reused, so running the
 * same rollout again never makes a duplicate. In the usual case the family's newest revision is the
 * source itself, and discovery, which described the family by name, settled that without another call.
 */
async function registerIdempotently(
  registration: PlannedRegistration,
  { ecs, clock }: ExecutorDeps,
  signal: AbortSignal | undefined,
): Promise<{ taskDefinitionArn: string; reused: boolean }> {
  // Only an ACTIVE revision is reused: an INACTIVE or DELETE_IN_PROGRESS one cannot run a new deployment.
  const isCopy = (candidate: TaskDefinitionSnapshot): boolean =>
    (candidate.status === undefined || candidate.status === 'ACTIVE') &&
    sameRegistration(registrationInput(candidate.definition, candidate.tags, new Map()), registration.input);
  /** `known`: the family's newest revision when already known (null: none); else it is asked for. */
  const existingCopy = async (known?: TaskDefinitionSnapshot | null): Promise<string | undefined> => {
    const newest = known === undefined ? await ecs.latestTaskDefinition(registration.family) : (known ?? undefined);
    if (newest === undefined) return undefined;
    if (isCopy(newest)) return newest.arn;
    // Two revisions of one family rolled out together leave two copies; the older one is not the newest.
    // The newest then runs the target's images as well: when it does not, no run of this rollout made it,
    // and nothing below it needs describing.
    if (!runsTargetImages(newest, registration)) return undefined;
    const source = revisionNumber(registration.sourceTaskDefinitionArn);
    const lowest = Math.max(source + 1, newest.revision - RECENT_REVISIONS_TO_SCAN);
    for (let revision = newest.revision - 1; revision >= lowest; revision -= 1) {
      const candidate = await ecs.describeTaskDefinition(`${registration.family}:${revision}`).catch(() => undefined);
      if (candidate !== undefined && isCopy(candidate)) return candidate.arn;
    }
    return undefined;
  };

  // Discovery described the family by name just before: its answer settles the usual case without a call.
  const existing = await existingCopy(ecs.newestRevisionSeen?.(registration.family));
  if (existing !== undefined) return { taskDefinitionArn: existing, reused: true };
  for (let attempt = 1; ; attempt += 1) {
    try {
      const { taskDefinitionArn } = await ecs.registerTaskDefinition(registration.input);
      return { taskDefinitionArn, reused: false };
    } catch (error) {
      if (!(error instanceof TransientAwsError) || attempt >= REGISTER_ATTEMPTS) throw error;
      await clock.sleep(REGISTER_BACKOFF_MS * 2 ** (attempt - 1), signal);
      if (signal?.aborted) throw new RegistrationInterrupted();
      // The failed attempt may have registered all the same; only its answer was lost.
      const registered = await existingCopy();
      if (registered !== undefined) return { taskDefinitionArn: registered, reused: true };
    }
  }
}

async function rollBack(
  strategy: RolloutPlan['strategy'],
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
    return previous?.outcome === 'completed' || previous?.outcome === 'updated'
      ? 'another service in this rollout failed'
      : (previous?.reason ?? 'the rollout failed');
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
    const batches = [...byCluster].flatMap(([cluster, entries]) =>
      chunk(entries, DESCRIBE_SERVICES_MAX_NAMES).map((group) => ({ cluster, group })),
    );
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
        const progressKey = JSON.stringify(assessment.progress);
        if (lastProgress.get(keyOf(entry)) !== progressKey) {
          lastProgress.set(keyOf(entry), progressKey);
          emit({ type: 'progress', cluster: snapshot.clusterName, service: entry.service, phase, progress: assessment.progress });
        }
        if (assessment.state === 'completed') settle(entry, { state: 'completed' });
        else if (assessment.state === 'failed') {
          const takeover = await resolveTakeover(entry, snapshot, deps, options.pushedAt);
          if (takeover === undefined) settle(entry, { state: 'failed', reason: assessment.reason });
          else if (takeover.kind === 'yield') settle(entry, { state: 'superseded', reason: takeover.reason });
          else pending.set(keyOf(entry), { ...entry, deploymentId: takeover.deploymentId, reapplied: (entry.reapplied ?? 0) + 1 });
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

async function describeNow(
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
      for (const snapshot of await ecs.describeServices(cluster, names.map((planned) => planned.service))) {
        found.set(keyOf({ cluster, service: snapshot.serviceName }), snapshot);
      }
    } catch {
      // The last poll's snapshot stands in.
    }
  });
  return found;
}

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
async function newerRolloutOverwritten(
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
async function resolveTakeover(
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

async function replaceOldTasks(
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
      await ecs.stopTask(entry.cluster, task.taskArn, `ecs-roll: replacing with ${entry.targetTaskDefinitionArn}`);
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
