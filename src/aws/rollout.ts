import type { EmitEvent } from '../core/events.js';
import { executeRollout, type RolloutResult } from '../core/execute.js';
import type { ImageReference } from '../core/image-ref.js';
import { DEFAULT_CONCURRENCY } from '../core/limits.js';
import { checkExpectedServices, type ServiceExpectation } from '../core/expectation.js';
import { planRollout, type RolloutPlan, type Strategy } from '../core/plan.js';
import type { UpdatePolicy } from '../core/policy.js';
import { systemClock } from '../core/ports.js';
import type { RunBeforeSpec } from '../core/run-before.js';
import type { TaskRunPort } from '../core/run-step.js';
import type { AwsConfig } from './config.js';
import { createEcsClient, discoverRolloutState, SdkEcs } from './ecs.js';
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
  /** Stop after planning. */
  readonly dryRun: boolean;
  readonly wait: boolean;
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
}

/**
 * Read, plan, execute: the one rollout the CLI, the Lambda worker and `serve` all run.
 * The plan is emitted before anything changes, so every front end can show it.
 */
export async function runRollout(aws: AwsConfig, run: RolloutRun): Promise<{ plan: RolloutPlan; result?: RolloutResult }> {
  const client = createEcsClient(aws);
  const registrationClient = createEcsClient(aws, { retries: false });
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
    const plan = planRollout(state, {
      target: run.target,
      strategy: run.strategy,
      force: run.force,
      ...(run.policy === undefined ? {} : { policy: run.policy }),
      ...(run.pushedAt === undefined ? {} : { pushedAt: run.pushedAt }),
      ...(run.runBefore === undefined ? {} : { runBefore: run.runBefore }),
      ...(run.runBeforeIgnoresOtherImages === true ? { runBeforeIgnoresOtherImages: true } : {}),
    });
    checkExpectedServices(plan, run.expectServices);
    run.emit({ type: 'plan', plan });
    if (run.dryRun) return { plan };
    if (plan.runsBefore !== undefined && plan.runsBefore.length > 0) {
      // Loaded only when a run-before step needs it: CloudWatch Logs' client is for its log tail alone.
      const { SdkTaskRunner } = await import('./run-task.js');
      tasks = new SdkTaskRunner(client, aws);
    }
    const startedAt = Date.now();
    const executed = await executeRollout(
      plan,
      { ecs, elb, clock: systemClock, emit: run.emit, ...(tasks === undefined ? {} : { tasks }) },
      {
        wait: run.wait,
        timeoutMs: run.timeoutMs + (run.extendTimeoutByStagedWaits === true ? (plan.stagedWaitSeconds ?? 0) * 1000 : 0),
        pollIntervalMs: run.pollIntervalMs,
        rollback: run.rollback,
        concurrency: DEFAULT_CONCURRENCY,
        ...(run.runTimeoutMs === undefined ? {} : { runTimeoutMs: run.runTimeoutMs }),
        ...(run.signal === undefined ? {} : { signal: run.signal }),
      },
    );
    // Why each failed service failed, read once the run is over (bounded: see DIAGNOSIS_LIMITS).
    const result = executed.ok || run.signal?.aborted === true
      ? executed
      : await (await import('./diagnose.js')).diagnoseResult(client, aws, executed, startedAt, (service, diagnosis) =>
          run.emit({ type: 'diagnosis', cluster: service.cluster, service: service.service, diagnosis }),
        );
    return { plan, result };
  } finally {
    tasks?.destroy();
    client.destroy();
    registrationClient.destroy();
    elb.destroy();
  }
}
