import { decideSameTag } from './digest-decision.js';
import { formatVersion } from './image-ref.js';
import type { TaskDefinitionSnapshot } from './model.js';
import { replaceRefusal, stagedWaitSeconds } from './strategy.js';
import { lossyCopyRefusal, withPushTime } from './plan-copies.js';
import { scopeOf } from './plan-scope.js';
import { imageChanges, isNoop, skipReason, unfinishedDeployment, webhookSkip } from './plan-services.js';
import {
  PLAN_VERSION,
  type ContainerChange,
  type ObservedState,
  type PlannedRegistration,
  type PlannedService,
  type DeploymentPlan,
  type RolloutRequest,
} from './plan-types.js';
import { recordedContainerPush } from './push-order.js';
import { planRunsBefore } from './run-before.js';
import { PUSHED_AT_TAG, registrationInput } from './task-definition.js';

// The plan's shapes live in plan-types.ts; re-exported here because most of the code base imports them from the planner.
export * from './plan-types.js';
export type { PlanScope } from './plan-scope.js';

export { PUSHED_AT_TAG };

export function recordedPushTime(definition: TaskDefinitionSnapshot): number | undefined {
  const value = definition.tags.find((tag) => tag.key === PUSHED_AT_TAG)?.value;
  const seconds = value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(seconds) ? seconds : undefined;
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
  if (request.respectPushOrder !== true || request.pushedAt === undefined || request.target.tag === undefined || request.target.digest !== undefined)
    return undefined;
  // The push time recorded for these containers and this repository (src/core/push-order.ts).
  const times = changes.flatMap((change) => recordedContainerPush(definition, change.container, request.target.repository)?.seconds ?? []);
  const recorded = times.length === 0 ? undefined : Math.max(...times);
  if (recorded !== undefined && request.pushedAt <= recorded) return undefined;
  return `${formatVersion(request.target)} pushed again at ${request.pushedAt}${recorded === undefined ? '' : ` (recorded: ${recorded})`}; a new deployment pulls it`;
}

/**
 * Decides what a rollout does, from state alone: which revisions to register, which services to move.
 * Pure: the same state and request always give the same plan, and the plan is plain JSON.
 */
export function planRollout(state: ObservedState, request: RolloutRequest): DeploymentPlan {
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
        services.push({
          ...base,
          action: 'wait',
          reason: `already on ${formatVersion(target)}, ${unfinished.why}: waiting`,
          deployment: unfinished.deployment,
        });
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

/** Code-point order: unlike localeCompare it is the same on every machine and locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
