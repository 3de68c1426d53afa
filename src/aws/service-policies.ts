/**
 * Scaling policies on ECS services' tags (src/core/scale-policy.ts says why there): reading,
 * writing and removing them, and finding every service that holds one.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TagResource.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UntagResource.html
 */
import { ListTagsForResourceCommand, TagResourceCommand, UntagResourceCommand } from '@aws-sdk/client-ecs';
import { chunk, mapConcurrent } from '../core/collections.js';
import type { ServiceSnapshot, Tag } from '../core/model.js';
import { servicePolicies, type ServicePolicyRead } from '../core/scale-policy.js';
import type { SdkEcs } from './ecs.js';

/** DescribeServices takes at most 10 services a call. */
const DESCRIBE_SERVICES_MAX = 10;
/** Tag reads in flight at once while listing. */
const LIST_CONCURRENCY = 4;

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

export interface ServiceWithPolicies {
  readonly service: ServiceSnapshot;
  readonly policies: readonly ServicePolicyRead[];
}

/** Every ACTIVE service of every cluster in the region whose tags hold at least one scaling policy. */
export async function servicesWithPolicies(ecs: SdkEcs): Promise<{ servicesExamined: number; found: ServiceWithPolicies[] }> {
  const clusters = await ecs.listClusterArns();
  const services = (
    await mapConcurrent(clusters, LIST_CONCURRENCY, async (cluster) => {
      const arns = await ecs.listServiceArns(cluster);
      const pages = await mapConcurrent(chunk(arns, DESCRIBE_SERVICES_MAX), LIST_CONCURRENCY, (names) => ecs.describeServices(cluster, names));
      return pages.flat().filter((service) => service.status !== 'INACTIVE');
    })
  ).flat();
  const read = await mapConcurrent(services, LIST_CONCURRENCY, async (service) => ({
    service,
    policies: servicePolicies(await serviceTags(ecs, service.serviceArn), { cluster: service.clusterName, service: service.serviceName }),
  }));
  return { servicesExamined: services.length, found: read.filter((entry) => entry.policies.length > 0) };
}
