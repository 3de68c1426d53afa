import { tryParseImageReference, retag, type ImageReference } from './image-ref.js';
import { revisionName, type ServiceSnapshot, type TaskDefinitionSnapshot } from './model.js';
import type { ContainerChange, RolloutRequest, SkipKind } from './plan-types.js';
import { policyRejectsUpgrade } from './update-policy.js';
import { comparePush, recordedContainerPush } from './push-order.js';
import { assessDeployment } from './wait.js';

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

export function isNoop(changes: readonly ContainerChange[]): boolean {
  return changes.every((change) => change.from === change.to);
}

export function skipReason(service: ServiceSnapshot): string | undefined {
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
export function webhookSkip(
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
      if (!verdict.apply)
        return { kind: 'older-push', reason: `${verdict.reason} (container ${change.container} of ${definition.family}:${definition.revision})` };
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
