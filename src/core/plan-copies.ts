import { UsageError } from './errors.js';
import { TASK_DEFINITION_MAX_TAGS } from './limits.js';
import type { Tag, TaskDefinitionSnapshot } from './model.js';
import { isAwsReservedTag, PUSHED_AT_TAG } from './task-definition.js';

/** What a copy of a task definition may carry: its tags within ECS's limits, and only settings this SDK knows. */

/**
 * The source's tags with this rollout's push time. A task definition already holding ECS's 50 tags keeps them
 * all and goes without the push time (ECS would refuse a 51st), with a warning saying what that costs.
 */
export function withPushTime(definition: TaskDefinitionSnapshot, pushedAt: number | undefined): { tags: readonly Tag[]; warning?: string } {
  const tags = definition.tags.filter((tag) => !isAwsReservedTag(tag));
  if (pushedAt === undefined) return { tags };
  const others = tags.filter((tag) => tag.key !== PUSHED_AT_TAG);
  if (others.length >= TASK_DEFINITION_MAX_TAGS) {
    return {
      tags: others,
      warning:
        `${definition.family} already has ${TASK_DEFINITION_MAX_TAGS} tags, ECS's limit, so the new revision does not get ${PUSHED_AT_TAG}: ` +
        'a later push cannot be ordered against this one, and an older, late push may move its services back',
    };
  }
  return { tags: [...others, { key: PUSHED_AT_TAG, value: String(pushedAt) }] };
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
