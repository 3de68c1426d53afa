import type { ImageReference } from './image-ref.js';
import type { DeploymentStrategy, ServiceSnapshot, TaskDefinitionSnapshot } from './model.js';
import type { PlanScope } from './plan-scope.js';
import type { UpdatePolicy } from './update-policy.js';
import type { PlannedRun, RunBeforeSpec } from './run-before.js';
import type { RegisterTaskDefinitionInput } from './task-definition.js';

export const PLAN_VERSION = 1;

export type Strategy = 'rolling' | 'replace';
export const STRATEGIES: readonly Strategy[] = ['rolling', 'replace'];

export interface ContainerChange {
  readonly container: string;
  readonly from: string;
  readonly to: string;
}

/** One new task definition revision to register; services on the same source revision share it. */
export interface PlannedRegistration {
  /** The source revision's ARN, which also identifies this registration within the plan. */
  readonly sourceTaskDefinitionArn: string;
  readonly family: string;
  readonly changes: readonly ContainerChange[];
  readonly input: RegisterTaskDefinitionInput;
  /** True when no service in scope runs the source revision (`--all-families`). */
  readonly idleFamily: boolean;
  /** What the copy could not carry and what that means, for the user to see. */
  readonly warnings?: readonly string[];
}

export type ServiceAction =
  /** Register (or reuse) the new revision and point the service at it. */
  | 'update'
  /** Already on the target; start a new deployment of the same revision so tasks pull the image again. */
  | 'redeploy'
  /** Already on the target. */
  | 'none'
  /**
   * Already on the target, but its deployment has not completed (an earlier run timed out, failed or
   * was killed while waiting): waited for like a fresh one, so a re-run cannot turn a failed deploy green.
   */
  | 'wait'
  /** Uses the image but ecs-roll cannot or should not move it (reason says why). */
  | 'skip'
  /** Change the desired count only; the task definition stays pinned (`ecs-roll scale`). */
  | 'scale';

/**
 * `older-push`: a webhook push older than the one that set the running image (never for the CLI);
 * `policy`: the install's policy refuses the tag; `not-movable`: the service's state or controller.
 */
export type SkipKind = 'older-push' | 'policy' | 'not-movable';

export interface PlannedService {
  readonly cluster: string;
  readonly clusterArn: string;
  readonly service: string;
  readonly serviceArn: string;
  readonly action: ServiceAction;
  readonly reason?: string;
  /** For `skip`: why, as a category a log or CI can count on. */
  readonly skipKind?: SkipKind;
  readonly taskDefinitionArn: string;
  /** For `update`: the registration (by source ARN) whose new revision the service moves to. */
  readonly registration?: string;
  readonly changes: readonly ContainerChange[];
  readonly desiredCount: number;
  /** For `scale`: the desired count to set. */
  readonly targetDesiredCount?: number;
  /** For `wait`: the PRIMARY deployment to follow, and the revision it runs. */
  readonly deployment?: { readonly id: string; readonly taskDefinitionArn: string };
  readonly minimumHealthyPercent: number;
  readonly maximumPercent: number;
  readonly schedulingStrategy: 'REPLICA' | 'DAEMON';
  /** ECS's deployment strategy for the service; ROLLING when absent. */
  readonly deploymentStrategy?: DeploymentStrategy;
  /** For BLUE_GREEN, LINEAR and CANARY: how long ECS waits on purpose (bake, traffic steps). */
  readonly stagedWaitSeconds?: number;
}

/** What a rollout (new revisions, services moved onto them) or a scale (only the desired count) will change: a deployment plan. */
export interface DeploymentPlan {
  readonly version: typeof PLAN_VERSION;
  readonly kind: 'rollout' | 'scale';
  readonly target: {
    readonly image: string;
    readonly repository: string;
    readonly tag?: string;
    readonly digest?: string;
  };
  readonly strategy: Strategy;
  /** The push time this rollout records on its revisions; orders it against concurrent rollouts. */
  readonly pushedAt?: number;
  readonly registrations: readonly PlannedRegistration[];
  readonly services: readonly PlannedService[];
  /** Services looked at whose task definitions do not use the image. */
  readonly unaffectedServices: number;
  /** One-off tasks (`--run-before`) run in this order after registering and before any service moves. */
  readonly runsBefore?: readonly PlannedRun[];
  readonly scope?: PlanScope;
  /**
   * The longest deliberate wait (bake time, traffic steps) of a staged deployment this plan starts; the default
   * timeout grows by it, so waiting does not give up in the middle of a bake.
   */
  readonly stagedWaitSeconds?: number;
}

export interface RolloutRequest {
  readonly target: ImageReference;
  readonly strategy: Strategy;
  /** Redeploy services already on the target (a mutable tag pushed again). */
  readonly force: boolean;
  /** Webhook installs: which tags may move a service. */
  readonly policy?: UpdatePolicy;
  /**
   * When the image was pushed (epoch seconds, from the webhook) or the rollout started (the CLI).
   * It is recorded, per container, on the revisions this rollout registers.
   */
  readonly pushedAt?: number;
  /**
   * The digest the registry answered for the target's tag: a service already on the tag is
   * redeployed only when its running tasks report another digest (see digest-decision.ts).
   */
  readonly registryDigest?: string;
  /**
   * Webhooks only: skip a container whose running image was set by a later push. The CLI acts on a
   * person's command and is never held back by a recorded time.
   */
  readonly respectPushOrder?: boolean;
  /** The planner's clock (epoch seconds), to distrust recorded push times from the future. */
  readonly now?: number;
  /** One-off tasks to run from the new revisions before the services move. */
  readonly runBefore?: readonly RunBeforeSpec[];
  /** Webhook mode: leave out a run-before spec whose service this image does not run, instead of refusing. */
  readonly runBeforeIgnoresOtherImages?: boolean;
}
export interface ObservedState {
  readonly services: readonly ServiceSnapshot[];
  /** Every task definition a service above runs, by ARN. */
  readonly taskDefinitions: Readonly<Record<string, TaskDefinitionSnapshot>>;
  /** Newest ACTIVE revision of families no service runs; only filled for `--all-families`. */
  readonly idleFamilies?: readonly TaskDefinitionSnapshot[];
  /** By service ARN: the image digests its running tasks report for the target's repository. */
  readonly runningDigests?: Readonly<Record<string, readonly string[]>>;
  /** Where discovery looked: the clusters (by name) and the region. */
  readonly looked?: { readonly clusters: readonly string[]; readonly region?: string; readonly account?: string };
}
