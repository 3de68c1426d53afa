import { decideSameTag } from './digest-decision.js';
import { formatVersion, retag, tryParseImageReference, type ImageReference } from './image-ref.js';
import { revisionName, type DeploymentStrategy, type ServiceSnapshot, type TaskDefinitionSnapshot } from './model.js';
import { replaceRefusal, stagedWaitSeconds } from './strategy.js';
import { policyRejectsUpgrade, type UpdatePolicy } from './policy.js';
import { lossyCopyRefusal, withPushTime } from './plan-copies.js';
import { planRunsBefore, type PlannedRun, type RunBeforeSpec } from './run-before.js';
import { comparePush, recordedContainerPush } from './push-order.js';
import { PUSHED_AT_TAG, registrationInput, type RegisterTaskDefinitionInput } from './task-definition.js';
import { assessDeployment } from './wait.js';

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

export interface RolloutPlan {
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

export { PUSHED_AT_TAG };

export function recordedPushTime(definition: TaskDefinitionSnapshot): number | undefined {
  const value = definition.tags.find((tag) => tag.key === PUSHED_AT_TAG)?.value;
  const seconds = value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(seconds) ? seconds : undefined;
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

/** Where a run looked, so a run that matched nothing says where it did not find it. */
export interface PlanScope {
  /** From the ARNs seen; unknown when there were none. */
  readonly account?: string;
  readonly region?: string;
  readonly clusters: number;
  readonly services: number;
}

/** The account and region come from the ARNs ECS answered (arn:aws:ecs:<region>:<account>:…), so no extra call. */
export function scopeOf(state: ObservedState): PlanScope {
  const arn = state.services[0]?.serviceArn ?? state.services[0]?.clusterArn ?? '';
  const [, , , arnRegion, arnAccount] = arn.split(':');
  const account = state.looked?.account ?? arnAccount;
  const region = state.looked?.region ?? (arnRegion === '' ? undefined : arnRegion);
  return {
    ...(account === undefined || account === '' ? {} : { account }),
    ...(region === undefined ? {} : { region }),
    clusters: state.looked?.clusters.length ?? new Set(state.services.map((service) => service.clusterArn)).size,
    services: state.services.length,
  };
}

interface ContainerLike {
  readonly name?: unknown;
  readonly image?: unknown;
}

/** The containers of a task definition that run the target's repository, with their new image. */
export function imageChanges(definition: TaskDefinitionSnapshot, target: ImageReference): ContainerChange[] {
  const containers = definition.definition.containerDefinitions;
  if (!Array.isArray(containers)) return [];
  const changes: ContainerChange[] = [];
  for (const container of containers as ContainerLike[]) {
    if (typeof container.image !== 'string' || typeof container.name !== 'string') continue;
    const current = tryParseImageReference(container.image);
    if (current === undefined || current.repository !== target.repository) continue;
    changes.push({ container: container.name, from: container.image, to: retag(current, target) });
  }
  return changes;
}

function isNoop(changes: readonly ContainerChange[]): boolean {
  return changes.every((change) => change.from === change.to);
}

function skipReason(service: ServiceSnapshot): string | undefined {
  if (service.status !== 'ACTIVE') return `service is ${service.status}`;
  if (service.deploymentController !== 'ECS') {
    return `deployment controller is ${service.deploymentController}; deploy it with that controller`;
  }
  return undefined;
}

/**
 * Why a webhook's push must not move this task definition: a container whose image a later push set,
 * or a tag the install's policy does not allow. A duplicate push is already a no-op.
 */
function webhookSkip(
  definition: TaskDefinitionSnapshot,
  changes: readonly ContainerChange[],
  request: RolloutRequest,
): { kind: SkipKind; reason: string } | undefined {
  if (isNoop(changes)) return undefined;
  if (request.respectPushOrder === true && request.pushedAt !== undefined) {
    for (const change of changes.filter((candidate) => candidate.from !== candidate.to)) {
      const verdict = comparePush({
        pushedAt: request.pushedAt,
        tag: request.target.tag,
        runningTag: tryParseImageReference(change.from)?.tag,
        recorded: recordedContainerPush(definition, change.container, request.target.repository)?.seconds,
        now: request.now ?? Number.POSITIVE_INFINITY,
      });
      if (!verdict.apply) return { kind: 'older-push', reason: `${verdict.reason} (container ${change.container} of ${definition.family}:${definition.revision})` };
    }
  }
  if (request.policy !== undefined && request.target.tag !== undefined) {
    const running = changes.map((change) => tryParseImageReference(change.from)?.tag).find((tag) => tag !== undefined);
    const reason = policyRejectsUpgrade(request.policy, running, request.target.tag);
    return reason === undefined ? undefined : { kind: 'policy', reason };
  }
  return undefined;
}

/**
 * A webhook push of the tag the service already runs (`latest`, `main`): a mutable tag now names another
 * image, and ECS resolves a tag to a digest once per deployment, so only a new deployment picks it up.
 * Only a push newer than the one recorded on the running revision counts; the same or an older one is a
 * duplicate delivery and changes nothing.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html (image version consistency)
 */
function newerPushOfSameTag(definition: TaskDefinitionSnapshot, changes: readonly ContainerChange[], request: RolloutRequest): string | undefined {
  // Webhook pushes only: the CLI records its start time too, but a person asks for --force by hand.
  if (request.respectPushOrder !== true || request.pushedAt === undefined || request.target.tag === undefined || request.target.digest !== undefined) return undefined;
  // The push time recorded for these containers and this repository (src/core/push-order.ts).
  const times = changes.flatMap((change) => recordedContainerPush(definition, change.container, request.target.repository)?.seconds ?? []);
  const recorded = times.length === 0 ? undefined : Math.max(...times);
  if (recorded !== undefined && request.pushedAt <= recorded) return undefined;
  return `${formatVersion(request.target)} pushed again at ${request.pushedAt}${recorded === undefined ? '' : ` (recorded: ${recorded})`}; a new deployment pulls it`;
}

/**
 * The PRIMARY deployment of a service whose task definition is already the target, when it has not
 * finished: still IN_PROGRESS, FAILED, or running another revision than the service's task definition
 * (ECS rolled it back). Judged by the same rules as waiting (assessDeployment), so "done" means the same.
 */
export function unfinishedDeployment(
  service: ServiceSnapshot,
): { readonly deployment: { readonly id: string; readonly taskDefinitionArn: string }; readonly why: string } | undefined {
  const primary = service.deployments.find((deployment) => deployment.status === 'PRIMARY');
  if (primary === undefined) return undefined;
  const deployment = { id: primary.id, taskDefinitionArn: primary.taskDefinitionArn };
  if (primary.taskDefinitionArn !== service.taskDefinitionArn) {
    return { deployment, why: `but its deployment runs ${revisionName(primary.taskDefinitionArn)}` };
  }
  const assessment = assessDeployment(service, primary.id);
  if (assessment.state === 'completed') return undefined;
  return { deployment, why: assessment.state === 'failed' ? 'deployment failed' : 'deployment still in progress' };
}

/**
 * Decides what a rollout does, from state alone: which revisions to register, which services to move.
 * Pure: the same state and request always give the same plan, and the plan is plain JSON.
 */
export function planRollout(state: ObservedState, request: RolloutRequest): RolloutPlan {
  const { target } = request;
  const registrations = new Map<string, PlannedRegistration>();
  const services: PlannedService[] = [];
  let unaffectedServices = 0;

  const lossy: TaskDefinitionSnapshot[] = [];
  const register = (definition: TaskDefinitionSnapshot, changes: readonly ContainerChange[], idleFamily: boolean) => {
    if (registrations.has(definition.arn)) return;
    if ((definition.unmodelledFields ?? []).length > 0) lossy.push(definition);
    const images = new Map(changes.map((change) => [change.container, change.to]));
    const { tags, warning } = withPushTime(definition, request.pushedAt, changes, target.repository);
    registrations.set(definition.arn, {
      sourceTaskDefinitionArn: definition.arn,
      family: definition.family,
      changes,
      input: registrationInput(definition.definition, tags, images),
      idleFamily,
      ...(warning === undefined ? {} : { warnings: [warning] }),
    });
  };

  for (const service of state.services) {
    const definition = state.taskDefinitions[service.taskDefinitionArn];
    const changes = definition === undefined ? [] : imageChanges(definition, target);
    if (definition === undefined || changes.length === 0) {
      unaffectedServices += 1;
      continue;
    }
    const base = {
      cluster: service.clusterName,
      clusterArn: service.clusterArn,
      service: service.serviceName,
      serviceArn: service.serviceArn,
      taskDefinitionArn: service.taskDefinitionArn,
      changes,
      desiredCount: service.desiredCount,
      minimumHealthyPercent: service.minimumHealthyPercent,
      maximumPercent: service.maximumPercent,
      schedulingStrategy: service.schedulingStrategy,
      ...(service.deploymentStrategy === undefined || service.deploymentStrategy === 'ROLLING'
        ? {}
        : { deploymentStrategy: service.deploymentStrategy, stagedWaitSeconds: stagedWaitSeconds(service) }),
    };
    const notMovable = skipReason(service);
    const skip = notMovable === undefined ? webhookSkip(definition, changes, request) : { kind: 'not-movable' as const, reason: notMovable };
    if (skip !== undefined) {
      services.push({ ...base, action: 'skip', reason: skip.reason, skipKind: skip.kind });
    } else if (isNoop(changes)) {
      const unfinished = request.force ? undefined : unfinishedDeployment(service);
      const repushed = request.force ? undefined : newerPushOfSameTag(definition, changes, request);
      if (repushed !== undefined) {
        // A newer push of the running tag wins over waiting for the deployment of the older one.
        services.push({ ...base, action: 'redeploy', reason: repushed });
      } else if (unfinished !== undefined) {
        services.push({ ...base, action: 'wait', reason: `already on ${formatVersion(target)}, ${unfinished.why}: waiting`, deployment: unfinished.deployment });
      } else {
        const decision = decideSameTag({
          version: formatVersion(target),
          force: request.force,
          ...(request.registryDigest === undefined ? {} : { registryDigest: request.registryDigest }),
          ...(state.runningDigests?.[service.serviceArn] === undefined ? {} : { runningDigests: state.runningDigests[service.serviceArn] }),
        });
        services.push({ ...base, ...decision });
      }
    } else {
      register(definition, changes, false);
      services.push({ ...base, action: 'update', registration: definition.arn });
    }
  }

  for (const definition of state.idleFamilies ?? []) {
    const changes = imageChanges(definition, target);
    if (changes.length > 0 && !isNoop(changes) && webhookSkip(definition, changes, request) === undefined) {
      register(definition, changes, true);
    }
  }

  if (lossy.length > 0) throw lossyCopyRefusal(lossy);
  const moving = services.filter((service) => service.action === 'update' || service.action === 'redeploy');
  const refusal = request.strategy === 'replace' ? replaceRefusal(moving) : undefined;
  if (refusal !== undefined) throw refusal;
  const stagedWait = Math.max(0, ...moving.map((service) => service.stagedWaitSeconds ?? 0));
  const sortedServices = services.sort((a, b) => compareText(a.cluster, b.cluster) || compareText(a.service, b.service));
  const runsBefore =
    request.runBefore === undefined || request.runBefore.length === 0
      ? undefined
      : planRunsBefore(sortedServices, state, request.runBefore, { ignoreOtherImages: request.runBeforeIgnoresOtherImages === true });

  return {
    version: PLAN_VERSION,
    kind: 'rollout',
    target: {
      image: target.original,
      repository: target.repository,
      ...(target.tag === undefined ? {} : { tag: target.tag }),
      ...(target.digest === undefined ? {} : { digest: target.digest }),
    },
    strategy: request.strategy,
    ...(request.pushedAt === undefined ? {} : { pushedAt: request.pushedAt }),
    // Discovery order is whatever ListServices answered; the plan must not depend on it.
    registrations: [...registrations.values()].sort(
      (a, b) => Number(a.idleFamily) - Number(b.idleFamily) || compareText(a.sourceTaskDefinitionArn, b.sourceTaskDefinitionArn),
    ),
    services: sortedServices,
    unaffectedServices,
    ...(runsBefore === undefined ? {} : { runsBefore }),
    scope: scopeOf(state),
    ...(stagedWait > 0 ? { stagedWaitSeconds: stagedWait } : {}),
  };
}


/**
 * A scale is a deployment plan with the task definition pinned: one service, its count changed,
 * carried out and waited for by the same executor as a rollout.
 */
export function planScale(service: ServiceSnapshot, targetDesiredCount: number): RolloutPlan {
  const skip = skipReason(service);
  const action: ServiceAction = skip !== undefined ? 'skip' : targetDesiredCount === service.desiredCount ? 'none' : 'scale';
  return {
    version: PLAN_VERSION,
    kind: 'scale',
    target: { image: '', repository: '' },
    strategy: 'rolling',
    registrations: [],
    services: [
      {
        cluster: service.clusterName,
        clusterArn: service.clusterArn,
        service: service.serviceName,
        serviceArn: service.serviceArn,
        action,
        ...(skip !== undefined
          ? { reason: skip, skipKind: 'not-movable' as const }
          : action === 'none'
            ? { reason: `desired count is already ${targetDesiredCount}` }
            : {}),
        taskDefinitionArn: service.taskDefinitionArn,
        changes: [],
        desiredCount: service.desiredCount,
        targetDesiredCount,
        minimumHealthyPercent: service.minimumHealthyPercent,
        maximumPercent: service.maximumPercent,
        schedulingStrategy: service.schedulingStrategy,
      },
    ],
    unaffectedServices: 0,
  };
}

/** Code-point order: unlike localeCompare it is the same on every machine and locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when carrying out the plan would change nothing. */
export function planIsEmpty(plan: RolloutPlan): boolean {
  return plan.registrations.length === 0 && plan.services.every((service) => service.action === 'none' || service.action === 'skip');
}
