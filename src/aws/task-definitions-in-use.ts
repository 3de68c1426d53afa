import { groupBy, mapConcurrent } from '../core/collections.js';
import { revisionName, type TaskDefinitionSnapshot } from '../core/model.js';
import type { EcsReader } from '../core/ports.js';

/** `…:task-definition/web:3` → `web`. */
export function familyOfTaskDefinition(taskDefinitionArn: string): string {
  const name = revisionName(taskDefinitionArn);
  const colon = name.lastIndexOf(':');
  return colon === -1 ? name : name.slice(0, colon);
}

/**
 * Describes the task definitions services run, family first. DescribeTaskDefinition(family) answers with
 * the family's newest ACTIVE revision: when that is a revision in use, one call gives both its description
 * and the proof that no copy an earlier, interrupted run registered sits above it (a copy is always newer
 * than its source). Only the other revisions in use cost a call of their own, so a family whose newest
 * revision is in use costs what describing each revision would, and any other family one call more.
 * The SDK adapter remembers each family's newest revision for the registrations that follow.
 */
export async function describeTaskDefinitionsInUse(
  ecs: EcsReader,
  taskDefinitionArns: readonly string[],
  concurrency: number,
): Promise<TaskDefinitionSnapshot[]> {
  const families = [...groupBy([...new Set(taskDefinitionArns)], familyOfTaskDefinition)];
  const newest = new Map(await mapConcurrent(families, concurrency, async ([family]) => [family, await ecs.latestTaskDefinition(family)] as const));
  const inUse = families.flatMap(([, arns]) => arns);
  return mapConcurrent(inUse, concurrency, async (arn) => {
    const candidate = newest.get(familyOfTaskDefinition(arn));
    // Revisions in use that are not the newest (older, INACTIVE or being deleted) are described by ARN.
    return candidate !== undefined && revisionName(candidate.arn) === revisionName(arn) ? candidate : ecs.describeTaskDefinition(arn);
  });
}
