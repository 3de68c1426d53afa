import { RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand, TagResourceCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { setMaxListeners } from 'node:events';
import type { EmitEvent } from '../core/events.js';
import { executeRollout, type RolloutResult } from '../core/execute.js';
import type { ImageReference } from '../core/image-ref.js';
import { DEFAULT_CONCURRENCY } from '../core/limits.js';
import { checkExpectedServices, type ServiceExpectation } from '../core/expectation.js';
import { servicesOnTargetTag } from '../core/digest-decision.js';
import { planRollout, type RolloutPlan, type Strategy } from '../core/plan.js';
import type { UpdatePolicy } from '../core/policy.js';
import { systemClock } from '../core/ports.js';
import { OperationFailedError } from '../core/errors.js';
import { abortWith, type AwsConfig } from './config.js';
import type { RunBeforeSpec } from '../core/run-before.js';
import type { TaskRunPort } from '../core/run-step.js';
import { createEcsClient, SdkEcs } from './ecs.js';
import { discoverRolloutState } from './ecs-discovery.js';
import { checkTargetInRegistry, type RegistryOptions } from './rollout-registry.js';
import { LazyLoadBalancers } from './elb.js';

export interface RolloutRun {
  readonly target: ImageReference;
  readonly clusters: readonly string[];
  readonly services: readonly string[];
  readonly allFamilies: boolean;
  readonly strategy: Strategy;
  readonly force: boolean;
  /** Fail before any change unless the number of matched services is as expected. */
  readonly expectServices?: ServiceExpectation;
  readonly policy?: UpdatePolicy;
  readonly pushedAt?: number;
  /** Ask the image's registry about the target first (tag exists, digest); pin or compare digests. */
  readonly registry?: RegistryOptions;
  /** Webhooks: skip containers whose running image a later push set (the CLI never does). */
  readonly respectPushOrder?: boolean;
  /** Stop after planning. */
  readonly dryRun: boolean;
  readonly wait: boolean;
  /** The whole run's budget (`--timeout`): discovery, changes, the wait and any rollback's wait. */
  readonly timeoutMs: number;
  /** Add the plan's staged wait (bake time, traffic steps) to timeoutMs: true when the timeout is the default. */
  readonly extendTimeoutByStagedWaits?: boolean;
  readonly pollIntervalMs: number;
  readonly rollback: boolean;
  /** One-off tasks to run from the new revisions before any service moves (`--run-before`). */
  readonly runBefore?: readonly RunBeforeSpec[];
  /** Webhook mode: a spec naming a service this image does not run is left out, not refused. */
  readonly runBeforeIgnoresOtherImages?: boolean;
  readonly runTimeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly emit: EmitEvent;
  /** Looks at the plan before anything changes; a reason stops the run there (the webhook's rolled-back push). */
  readonly vetPlan?: (plan: RolloutPlan) => Promise<string | undefined>;
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
export async function runRollout(aws: AwsConfig, run: RolloutRun): Promise<{ plan: RolloutPlan; result?: RolloutResult; refused?: string }> {
  // Before any ECS call: a tag that does not exist costs nothing and changes nothing.
  const checked = await checkTargetInRegistry(run.target, run.registry, aws, run.signal);
  const target = checked.target;
  const deadline = new AbortController();
  const startedRun = Date.now();
  let timer: NodeJS.Timeout | undefined;
  /** (Re)arms the deadline at `budgetMs` after the start, plus the grace. */
  const arm = (budgetMs: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      run.emit({ type: 'notice', message: `the run's time (${Math.round(budgetMs / 1000)} s) is up; stopping the calls in flight` });
      deadline.abort(new Error('deadline'));
    }, Math.max(0, startedRun + budgetMs + DEADLINE_GRACE_MS - Date.now()));
  };
  arm(run.timeoutMs);
  const stop = run.signal === undefined ? deadline.signal : AbortSignal.any([run.signal, deadline.signal]);
  // Every call in flight listens to it (up to the concurrency limit, plus the waits); that is not a leak.
  setMaxListeners(1000, stop);
  // Reads stop at once on Ctrl-C, SIGTERM or the deadline; a change already sent finishes, so every service is
  // reported as it really ended (old or new), never as unknown.
  const client = abortWith(createEcsClient(aws), stop, isEcsChange);
  const registrationClient = abortWith(createEcsClient(aws, { retries: false }), stop, isEcsChange);
  const elb = new LazyLoadBalancers(aws);
  let tasks: (TaskRunPort & { destroy(): void }) | undefined;
  try {
    const ecs = new SdkEcs(client, registrationClient);
    const state = await discoverRolloutState(ecs, {
      clusters: run.clusters,
      services: run.services,
      allFamilies: run.allFamilies,
      concurrency: DEFAULT_CONCURRENCY,
    });
    const request = {
      target,
      strategy: run.strategy,
      force: run.force,
      ...(run.policy === undefined ? {} : { policy: run.policy }),
      ...(run.pushedAt === undefined ? {} : { pushedAt: run.pushedAt }),
      ...(checked.digest === undefined ? {} : { registryDigest: checked.digest }),
      ...(run.respectPushOrder === true ? { respectPushOrder: true } : {}),
      now: Date.now() / 1000,
      ...(run.runBefore === undefined ? {} : { runBefore: run.runBefore }),
      ...(run.runBeforeIgnoresOtherImages === true ? { runBeforeIgnoresOtherImages: true } : {}),
    };
    let plan = planRollout(state, request);
    // A mutable tag the services already run: what their tasks run decides (only these services are read).
    const onTag = checked.digest === undefined || run.force ? [] : servicesOnTargetTag(plan);
    if (onTag.length > 0) {
      const { readRunningDigests } = await import('./running-digests.js');
      plan = planRollout({ ...state, runningDigests: await readRunningDigests(ecs, onTag, target) }, request);
    }
    checkExpectedServices(plan, run.expectServices);
    run.emit({ type: 'plan', plan });
    if (run.dryRun) return { plan };
    const refused = await run.vetPlan?.(plan);
    if (refused !== undefined) return { plan, refused };
    if (plan.runsBefore !== undefined && plan.runsBefore.length > 0) {
      // Loaded only when a run-before step needs it: CloudWatch Logs' client is for its log tail alone.
      const { SdkTaskRunner } = await import('./run-task.js');
      tasks = new SdkTaskRunner(client, aws);
    }
    const startedAt = Date.now();
    // Staged deployments' bake times lengthen the default budget (not one the user set).
    const budgetMs = run.timeoutMs + (run.extendTimeoutByStagedWaits === true ? (plan.stagedWaitSeconds ?? 0) * 1000 : 0);
    if (budgetMs !== run.timeoutMs) arm(budgetMs);
    const executed = await executeRollout(
      plan,
      { ecs, elb, clock: systemClock, emit: run.emit, ...(tasks === undefined ? {} : { tasks }) },
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
    const result = executed.ok || run.signal?.aborted === true
      ? executed
      : await (await import('./diagnose.js')).diagnoseResult(client, aws, executed, startedAt, (service, diagnosis) =>
          run.emit({ type: 'diagnosis', cluster: service.cluster, service: service.service, diagnosis }),
        );
    return { plan, result };
  } catch (error) {
    if (deadline.signal.aborted && run.signal?.aborted !== true) {
      throw new OperationFailedError(`the run did not finish within its ${Math.round(run.timeoutMs / 1000)} s (--timeout, plus ${DEADLINE_GRACE_MS / 1000} s for the calls in between): an AWS call did not answer in time`, { cause: error });
    }
    throw error;
  } finally {
    clearTimeout(timer);
    tasks?.destroy();
    client.destroy();
    registrationClient.destroy();
    elb.destroy();
  }
}

/** The ECS calls a rollout makes that change something. */
function isEcsChange(command: unknown): boolean {
  return (
    command instanceof UpdateServiceCommand ||
    command instanceof RegisterTaskDefinitionCommand ||
    command instanceof StopTaskCommand ||
    command instanceof RunTaskCommand ||
    command instanceof TagResourceCommand
  );
}
