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
  if (tags.length > 0) copy.tags = tags.map((tag) => ({ key: tag.key, value: tag.value }));
  else delete copy.tags;

  if (typeof copy.family !== 'string') throw new TypeError('a task definition without a family cannot be registered');
  return copy as RegisterTaskDefinitionInput;
}
