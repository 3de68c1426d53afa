import { UsageError } from './errors.js';
import { TASK_DEFINITION_MAX_TAGS } from './limits.js';
import type { Tag, TaskDefinitionSnapshot } from './model.js';
import type { ContainerChange } from './plan.js';
import { containerPushTag, containerPushTagKey } from './push-order.js';
import { isAwsReservedTag, PUSHED_AT_TAG } from './task-definition.js';

/** What a copy of a task definition may carry: its tags within ECS's limits, and only settings this SDK knows. */

/**
 * The source's tags with this rollout's push time: the revision-wide tag keeps ordering racing rollouts in
 * the executor; the per-container tags order later pushes of each changed container's repository. A task
 * definition already holding ECS's 50 tags keeps them all and goes without, with a warning saying what that
 * costs; one with room for the revision-wide tag only gets that one.
 */
export function withPushTime(
  definition: TaskDefinitionSnapshot,
  pushedAt: number | undefined,
  changes: readonly ContainerChange[],
  repository: string,
): { tags: readonly Tag[]; warning?: string } {
  const tags = definition.tags.filter((tag) => !isAwsReservedTag(tag));
  if (pushedAt === undefined) return { tags };
  const replaced = new Set([PUSHED_AT_TAG, ...changes.map((change) => containerPushTagKey(change.container))]);
  const others = tags.filter((tag) => !replaced.has(tag.key));
  if (others.length >= TASK_DEFINITION_MAX_TAGS) {
    return {
      tags: others,
      warning:
        `${definition.family} already has ${TASK_DEFINITION_MAX_TAGS} tags, ECS's limit, so the new revision does not get ${PUSHED_AT_TAG}: ` +
        'a later push cannot be ordered against this one, and an older, late push may move its services back',
    };
  }
  const revisionWide = { key: PUSHED_AT_TAG, value: String(pushedAt) };
  const perContainer = changes.map((change) => containerPushTag(change.container, repository, pushedAt));
  // Short of room for the per-container tags, the revision-wide one alone still orders pushes (for the whole revision).
  return {
    tags:
      others.length + 1 + perContainer.length <= TASK_DEFINITION_MAX_TAGS ? [...others, revisionWide, ...perContainer] : [...others, revisionWide],
  };
}

/**
 * A revision holding a setting the AWS SDK in this build does not know cannot be copied without losing it
 * (the SDK drops it on read and on write), so its family is refused before anything changes.
 */
export function lossyCopyRefusal(definitions: readonly TaskDefinitionSnapshot[]): UsageError {
  const which = definitions
    .map((definition) => `${definition.family}:${definition.revision} has ${(definition.unmodelledFields ?? []).join(', ')}`)
    .join('; ');
  return new UsageError(
    `cannot copy these task definitions without losing settings: ${which}. This ecs-roll's AWS SDK does not know ` +
      'those fields and would register revisions without them, so nothing was changed; upgrade ecs-roll ' +
      '(npm install --global ecs-roll@latest) and run the rollout again',
  );
}
