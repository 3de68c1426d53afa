import type { EmitEvent } from '../core/events.js';
import { executeRollout, type RolloutResult } from '../core/execute.js';
import type { ImageReference } from '../core/image-ref.js';
import { DEFAULT_CONCURRENCY } from '../core/limits.js';
import { checkExpectedServices, type ServiceExpectation } from '../core/expectation.js';
import { planRollout, servicesOnTargetTag, type RolloutPlan, type Strategy } from '../core/plan.js';
import type { UpdatePolicy } from '../core/policy.js';
import { systemClock } from '../core/ports.js';
import type { AwsConfig } from './config.js';
import { createEcsClient, discoverRolloutState, SdkEcs } from './ecs.js';
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
  /** Stop after planning. */
  readonly dryRun: boolean;
  readonly wait: boolean;
  readonly timeoutMs: number;
  /** Add the plan's staged wait (bake time, traffic steps) to timeoutMs: true when the timeout is the default. */
  readonly extendTimeoutByStagedWaits?: boolean;
  readonly pollIntervalMs: number;
  readonly rollback: boolean;
  readonly signal?: AbortSignal;
  readonly emit: EmitEvent;
}

/**
 * Read, plan, execute: the one rollout the CLI, the Lambda worker and `serve` all run.
 * The plan is emitted before anything changes, so every front end can show it.
 */
export async function runRollout(aws: AwsConfig, run: RolloutRun): Promise<{ plan: RolloutPlan; result?: RolloutResult }> {
  // Before any ECS call: a tag that does not exist costs nothing and changes nothing.
  const checked = await checkTargetInRegistry(run.target, run.registry, aws, run.signal);
  const target = checked.target;
  const client = createEcsClient(aws);
  const registrationClient = createEcsClient(aws, { retries: false });
  const elb = new LazyLoadBalancers(aws);
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
    const startedAt = Date.now();
    const executed = await executeRollout(
      plan,
      { ecs, elb, clock: systemClock, emit: run.emit },
      {
        wait: run.wait,
        timeoutMs: run.timeoutMs + (run.extendTimeoutByStagedWaits === true ? (plan.stagedWaitSeconds ?? 0) * 1000 : 0),
        pollIntervalMs: run.pollIntervalMs,
        rollback: run.rollback,
        concurrency: DEFAULT_CONCURRENCY,
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
    client.destroy();
    registrationClient.destroy();
    elb.destroy();
  }
}
