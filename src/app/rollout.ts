import { setMaxListeners } from 'node:events';
import type { RegistryOptions } from '../core/registry-options.js';
import type { Diagnosis } from '../core/diagnosis.js';
import { servicesOnTargetTag } from '../core/digest-decision.js';
import { OperationFailedError } from '../core/errors.js';
import type { EmitEvent } from '../core/events.js';
import { executeRollout, type ExecuteOptions, type RolloutResult, type ServiceOutcome } from '../core/execute.js';
import { checkExpectedServices, type ServiceExpectation } from '../core/expectation.js';
import type { ImageReference } from '../core/image-ref.js';
import { DEFAULT_CONCURRENCY } from '../core/limits.js';
import { planRollout, type DeploymentPlan, type RolloutRequest as PlanRequest } from '../core/plan.js';
import type { Clock, EcsPort, EcsReader, LoadBalancerPort } from '../core/ports.js';
import type { TaskRunPort } from '../core/run-step.js';
import { discoverRolloutState, type DiscoveryOptions } from '../aws/ecs-discovery.js';

/**
 * What a rollout is asked to do: the plan's request (less what the run itself learns: the registry's
 * digest and the time), the scope discovery reads, and how the executor carries the plan out.
 */
export type RolloutRequest = Omit<PlanRequest, 'registryDigest' | 'now'> &
  Omit<DiscoveryOptions, 'concurrency'> &
  Pick<ExecuteOptions, 'wait' | 'pollIntervalMs' | 'rollback' | 'runTimeoutMs' | 'signal'> & {
    /** Fail before any change unless the number of matched services is as expected. */
    readonly expectServices?: ServiceExpectation;
    /** Ask the image's registry about the target first (tag exists, digest); pin or compare digests. */
    readonly registry?: RegistryOptions;
    /** Stop after planning. */
    readonly dryRun: boolean;
    /** The whole run's budget (`--timeout`): discovery, changes, the wait and any rollback's wait. */
    readonly timeoutMs: number;
    /** Add the plan's staged wait (bake time, traffic steps) to timeoutMs: true when the timeout is the default. */
    readonly extendTimeoutByStagedWaits?: boolean;
    /** Looks at the plan before anything changes; a reason stops the run there (the webhook's rolled-back push). */
    readonly vetPlan?: (plan: DeploymentPlan, ecs: EcsReader) => Promise<string | undefined>;
  };

/** The ECS side of one run, opened once its deadline is known and closed when it ends. */
export interface RolloutSession {
  readonly ecs: EcsPort & EcsReader;
  readonly elb?: LoadBalancerPort;
  /** The digests each service's running tasks report for the target's repository. */
  runningDigests(services: DeploymentPlan['services'], target: ImageReference): Promise<Record<string, string[]>>;
  /** Needed only when the plan runs a task first. */
  taskRunner(): Promise<TaskRunPort>;
  /** Why each failed service failed, read once the run is over. */
  diagnose(result: RolloutResult, since: number, onDiagnosis: (service: ServiceOutcome, diagnosis: Diagnosis) => void): Promise<RolloutResult>;
  close(): void;
}

export interface RolloutPorts {
  readonly clock: Clock;
  readonly emit: EmitEvent;
  /** The target as the run registers it: checked against its registry, with its digest when pinning. */
  checkTarget(
    target: ImageReference,
    options: RegistryOptions | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ target: ImageReference; digest?: string }>;
  /** Every read of the session stops when `signal` aborts; a change already sent finishes. */
  open(signal: AbortSignal): RolloutSession;
}

export interface RolloutOutcome {
  readonly plan: DeploymentPlan;
  readonly result?: RolloutResult;
  /** The reason vetPlan gave for stopping before any change. */
  readonly refused?: string;
}

/**
 * With rollback on, the deployment's wait and a rollback's wait each get half of --timeout. The calls
 * before and between them (discovery, registrations, updates) take seconds, so the run is cut off this
 * long after --timeout at the latest, whatever AWS does; a hung call is what it exists for.
 */
export const DEADLINE_GRACE_MS = 10_000;

/**
 * Read, plan, execute: the one rollout the CLI, the Lambda worker and `serve` all run.
 * The plan is emitted before anything changes, so every front end can show it.
 * The run ends by its deadline whatever AWS does: every call carries a signal that aborts at the
 * deadline or on interruption, and the executor stops waiting then.
 */
export async function runRollout(run: RolloutRequest, ports: RolloutPorts): Promise<RolloutOutcome> {
  const { clock, emit } = ports;
  // Before any ECS call: a tag that does not exist costs nothing and changes nothing.
  const checked = await ports.checkTarget(run.target, run.registry, run.signal);
  const target = checked.target;
  const deadline = new AbortController();
  const startedRun = clock.now();
  let timer: NodeJS.Timeout | undefined;
  /** (Re)arms the deadline at `budgetMs` after the start, plus the grace. */
  const arm = (budgetMs: number) => {
    clearTimeout(timer);
    timer = setTimeout(
      () => {
        emit({ type: 'notice', message: `the run's time (${Math.round(budgetMs / 1000)} s) is up; stopping the calls in flight` });
        deadline.abort(new Error('deadline'));
      },
      Math.max(0, startedRun + budgetMs + DEADLINE_GRACE_MS - clock.now()),
    );
  };
  arm(run.timeoutMs);
  const stop = run.signal === undefined ? deadline.signal : AbortSignal.any([run.signal, deadline.signal]);
  // Every call in flight listens to it (up to the concurrency limit, plus the waits); that is not a leak.
  setMaxListeners(1000, stop);
  // Reads stop at once on Ctrl-C, SIGTERM or the deadline; a change already sent finishes, so every service is
  // reported as it really ended (old or new), never as unknown.
  const session = ports.open(stop);
  try {
    const { ecs } = session;
    const state = await discoverRolloutState(ecs, {
      clusters: run.clusters ?? [],
      services: run.services ?? [],
      allFamilies: run.allFamilies,
      concurrency: DEFAULT_CONCURRENCY,
    });
    const request: PlanRequest = {
      target,
      strategy: run.strategy,
      force: run.force,
      ...(run.policy === undefined ? {} : { policy: run.policy }),
      ...(run.pushedAt === undefined ? {} : { pushedAt: run.pushedAt }),
      ...(checked.digest === undefined ? {} : { registryDigest: checked.digest }),
      ...(run.respectPushOrder === true ? { respectPushOrder: true } : {}),
      now: clock.now() / 1000,
      ...(run.runBefore === undefined ? {} : { runBefore: run.runBefore }),
      ...(run.runBeforeIgnoresOtherImages === true ? { runBeforeIgnoresOtherImages: true } : {}),
    };
    let plan = planRollout(state, request);
    // A mutable tag the services already run: what their tasks run decides (only these services are read).
    const onTag = checked.digest === undefined || run.force ? [] : servicesOnTargetTag(plan);
    if (onTag.length > 0) {
      plan = planRollout({ ...state, runningDigests: await session.runningDigests(onTag, target) }, request);
    }
    checkExpectedServices(plan, run.expectServices);
    emit({ type: 'plan', plan });
    if (run.dryRun) return { plan };
    const refused = await run.vetPlan?.(plan, ecs);
    if (refused !== undefined) return { plan, refused };
    const tasks = plan.runsBefore !== undefined && plan.runsBefore.length > 0 ? await session.taskRunner() : undefined;
    const startedAt = clock.now();
    // Staged deployments' bake times lengthen the default budget (not one the user set).
    const budgetMs = run.timeoutMs + (run.extendTimeoutByStagedWaits === true ? (plan.stagedWaitSeconds ?? 0) * 1000 : 0);
    if (budgetMs !== run.timeoutMs) arm(budgetMs);
    const executed = await executeRollout(
      plan,
      { ecs, clock, emit, ...(session.elb === undefined ? {} : { elb: session.elb }), ...(tasks === undefined ? {} : { tasks }) },
      {
        wait: run.wait,
        // The rollout's wait and a rollback's wait each get this, so together they stay within the budget.
        timeoutMs: run.rollback ? Math.floor(budgetMs / 2) : budgetMs,
        pollIntervalMs: run.pollIntervalMs,
        rollback: run.rollback,
        concurrency: DEFAULT_CONCURRENCY,
        // The caller's signal and the run's deadline together.
        signal: stop,
        ...(run.runTimeoutMs === undefined ? {} : { runTimeoutMs: run.runTimeoutMs }),
      },
    );
    // Why each failed service failed, read once the run is over (bounded: see DIAGNOSIS_LIMITS).
    const result =
      executed.ok || run.signal?.aborted === true
        ? executed
        : await session.diagnose(executed, startedAt, (service, diagnosis) =>
            emit({ type: 'diagnosis', cluster: service.cluster, service: service.service, diagnosis }),
          );
    return { plan, result };
  } catch (error) {
    if (deadline.signal.aborted && run.signal?.aborted !== true) {
      throw new OperationFailedError(
        `the run did not finish within its ${Math.round(run.timeoutMs / 1000)} s (--timeout, plus ${DEADLINE_GRACE_MS / 1000} s for the calls in between): an AWS call did not answer in time`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    clearTimeout(timer);
    session.close();
  }
}
