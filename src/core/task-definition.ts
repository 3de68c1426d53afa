import type { Tag } from './model.js';

/**
 * Fields DescribeTaskDefinition returns that RegisterTaskDefinition must not be given.
 * The copy removes these and keeps everything else: listing the fields to keep instead
 * would silently drop whatever AWS adds to task definitions next.
 */
export const READ_ONLY_TASK_DEFINITION_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
] as const;

export type RegisterTaskDefinitionInput = Record<string, unknown> & {
  family: string;
  containerDefinitions: Record<string, unknown>[];
};

/**
 * Builds the input for a new revision of `definition`, with the images of the named containers replaced.
 * Tags are passed only when there are some: RegisterTaskDefinition rejects an empty list.
 */
export function registrationInput(
  definition: Readonly<Record<string, unknown>>,
  tags: readonly Tag[],
  imagesByContainer: ReadonlyMap<string, string>,
): RegisterTaskDefinitionInput {
  const copy = structuredClone(definition) as Record<string, unknown>;
  for (const field of READ_ONLY_TASK_DEFINITION_FIELDS) delete copy[field];

  const containers = Array.isArray(copy.containerDefinitions) ? (copy.containerDefinitions as Record<string, unknown>[]) : [];
  for (const container of containers) {
    const image = typeof container.name === 'string' ? imagesByContainer.get(container.name) : undefined;
    if (image !== undefined) container.image = image;
  }
  copy.containerDefinitions = containers;
  const userTags = tags.filter((tag) => !isAwsReservedTag(tag));
  if (userTags.length > 0) copy.tags = userTags.map((tag) => ({ key: tag.key, value: tag.value }));
  else delete copy.tags;

  if (typeof copy.family !== 'string') throw new TypeError('a task definition without a family cannot be registered');
  return copy as RegisterTaskDefinitionInput;
}

/**
 * `aws:` (in any case) is reserved for AWS: such tags are set by AWS itself and RegisterTaskDefinition refuses them
 * from a caller (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Tag.html), so copies never carry them.
 */
export function isAwsReservedTag(tag: Tag): boolean {
  return tag.key.toLowerCase().startsWith('aws:');
}

/** JSON with sorted keys and without empty values, so two descriptions of one definition compare equal. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .map(([key, field]) => [key, canonical(field)] as const)
      .filter(
        ([, field]) =>
          field !== undefined &&
          field !== null &&
          !(Array.isArray(field) && field.length === 0) &&
          !(typeof field === 'object' && !Array.isArray(field) && Object.keys(field as object).length === 0),
      )
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries);
  }
  return value;
}

/** The tag that records which push (or rollout start) last changed a task definition, in epoch seconds. */
export const PUSHED_AT_TAG = 'ecs-roll:pushed-at';

/**
 * Would registering `input` give a revision identical to `existing` (definition and tags)? The push time
 * tags (revision-wide and per container) are left out: a re-run of an interrupted rollout has a later one, and its copy is still the same.
 */
export function sameRegistration(existing: RegisterTaskDefinitionInput, input: RegisterTaskDefinitionInput): boolean {
  const sortTags = (tags: unknown) =>
    Array.isArray(tags)
      ? (tags as Tag[])
          .filter((tag) => tag.key !== PUSHED_AT_TAG && !tag.key.startsWith(`${PUSHED_AT_TAG}:`))
          .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      : tags;
  return (
    JSON.stringify(canonical({ ...existing, tags: sortTags(existing.tags) })) === JSON.stringify(canonical({ ...input, tags: sortTags(input.tags) }))
  );
}
