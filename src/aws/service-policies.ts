/**
 * Scaling policies on ECS services' tags (src/core/scale-policy.ts says why there): reading, writing and
 * removing them (src/app/scale-policy-list.ts finds every service that holds one).
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TagResource.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UntagResource.html
 */
import { ListTagsForResourceCommand, TagResourceCommand, UntagResourceCommand } from '@aws-sdk/client-ecs';
import type { ServiceSnapshot, Tag } from '../core/model.js';
import type { SdkEcs } from './ecs.js';

export async function serviceTags(ecs: SdkEcs, serviceArn: string): Promise<Tag[]> {
  const answer = await ecs.client.send(new ListTagsForResourceCommand({ resourceArn: serviceArn }));
  return (answer.tags ?? []).flatMap((tag) => (tag.key === undefined ? [] : [{ key: tag.key, value: tag.value ?? '' }]));
}

export async function tagService(ecs: SdkEcs, serviceArn: string, tags: readonly Tag[]): Promise<void> {
  await ecs.client.send(new TagResourceCommand({ resourceArn: serviceArn, tags: tags.map((tag) => ({ key: tag.key, value: tag.value })) }));
}

export async function untagService(ecs: SdkEcs, serviceArn: string, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await ecs.client.send(new UntagResourceCommand({ resourceArn: serviceArn, tagKeys: [...keys] }));
}

/** The service, or undefined when it (or its cluster) does not exist or is INACTIVE. */
export async function describeServiceIfAny(ecs: SdkEcs, cluster: string, service: string): Promise<ServiceSnapshot | undefined> {
  try {
    const found = await ecs.describeServices(cluster, [service]);
    return found.find((snapshot) => snapshot.serviceName === service && snapshot.status !== 'INACTIVE');
  } catch (error) {
    if (error instanceof Error && ['ClusterNotFoundException', 'ServiceNotFoundException'].includes(error.name)) return undefined;
    throw error;
  }
}
