import type { Diagnosis } from './diagnosis.js';
import type { EmitEvent } from './events.js';
import type { ServiceSnapshot } from './model.js';
import type { DeploymentPlan, PlannedService } from './plan.js';
import type { Clock, EcsPort, LoadBalancerPort } from './ports.js';
import type { RunStepOutcome, TaskRunPort } from './run-step.js';

/** Types and helpers the executor's parts share: its options, its ports, what it tracks and reports. */
/** 2: a service that did not finish carries `diagnosis` (see src/core/diagnosis.ts). */
export const RESULT_VERSION = 2;

export type ServiceOutcomeKind =
  /** The deployment the update created reached COMPLETED. */
  | 'completed'
  /** Updated without waiting (`--no-wait`). */
  | 'updated'
  | 'unchanged'
  | 'skipped'
  /** Webhook mode: not touched because a later push had already set the running image. */
  | 'older-push'
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

export const SUCCESSFUL_OUTCOMES: ReadonlySet<ServiceOutcomeKind> = new Set(['completed', 'updated', 'unchanged', 'skipped', 'older-push']);

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
  readonly target: DeploymentPlan['target'];
  readonly ok: boolean;
  readonly registrations: readonly { readonly family: string; readonly from: string; readonly to: string }[];
  readonly services: readonly ServiceOutcome[];
  /** The `--run-before` tasks, in order; present only when the plan has some. */
  readonly runsBefore?: readonly RunStepOutcome[];
}

export interface ExecuteOptions {
  readonly wait: boolean;
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly rollback: boolean;
  readonly concurrency: number;
  /** Aborting stops waiting (no new changes are started); what was changed is reported. */
  readonly signal?: AbortSignal;
  /** How long a `--run-before` task may run before it is stopped and the rollout fails. */
  readonly runTimeoutMs?: number;
}

/** `--run-timeout`'s default: 30 minutes, long enough for most schema migrations. */
export const DEFAULT_RUN_TIMEOUT_MS = 1_800_000;

export interface ExecutorDeps {
  readonly ecs: EcsPort;
  readonly clock: Clock;
  readonly emit: EmitEvent;
  /** For `replace` on load-balanced services: a replacement counts only once its targets are healthy. */
  readonly elb?: LoadBalancerPort;
  /** In [0, 1); spreads out retries. Math.random unless a test needs them repeatable. */
  readonly random?: () => number;
  /** Needed only when the plan has run-before steps. */
  readonly tasks?: TaskRunPort;
}

export interface Tracked {
  readonly cluster: string;
  readonly service: string;
  readonly deploymentId: string;
  readonly targetTaskDefinitionArn: string;
  /** What the service ran before this run moved it; a service back on it was rolled back by ECS. */
  readonly sourceTaskDefinitionArn: string;
  readonly replaceTasks: boolean;
  /** A desired-count change: done when the count has settled, not when a new deployment completes. */
  readonly settleCount?: boolean;
  /** A BLUE_GREEN, LINEAR or CANARY deployment: its stage is shown, and ECS rolls it back itself. */
  readonly staged?: boolean;
  /** Times this run put its revision back over an older rollout that had overwritten it. */
  readonly reapplied?: number;
  /** Epoch ms (this machine) when UpdateService answered: ECS's record of the deployment was created before. */
  readonly updatedAt?: number;
}

export type WaitEnd =
  | { readonly state: 'completed' }
  | { readonly state: 'failed' | 'timed-out' | 'interrupted' | 'superseded'; readonly reason: string }
  /** ECS rolled the deployment back itself (staged strategies). */
  | { readonly state: 'rolled-back'; readonly reason: string };

export interface WaitReport {
  readonly ends: Map<string, WaitEnd>;
  /** The newest snapshot seen of each service, to check nobody else moved it before rolling back. */
  readonly snapshots: Map<string, ServiceSnapshot>;
}

export const keyOf = (entry: { cluster: string; service: string }) => `${entry.cluster}\u0000${entry.service}`;

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
export function revisionNumber(taskDefinitionArn: string): number {
  return Number(taskDefinitionArn.slice(taskDefinitionArn.lastIndexOf(':') + 1));
}
