import { DEFAULT_CONCURRENCY } from '../core/limits.js';
import type { ImageReference } from '../core/image-ref.js';
import { buildStatus, type StatusDocument } from '../core/status.js';
import type { AwsConfig } from './config.js';
import { createEcsClient, SdkEcs } from './ecs.js';
import { discoverRolloutState } from './ecs-discovery.js';

/**
 * Reads the selected clusters the way a rollout does (pages of 100, ten services per DescribeServices,
 * each distinct task definition once) and says where each version of the image runs.
 */
export async function readStatus(aws: AwsConfig, image: ImageReference, clusters: readonly string[]): Promise<StatusDocument> {
  const client = createEcsClient(aws);
  try {
    const ecs = new SdkEcs(client, client);
    const state = await discoverRolloutState(ecs, { clusters, services: [], allFamilies: false, concurrency: DEFAULT_CONCURRENCY });
    return buildStatus(state, image);
  } finally {
    client.destroy();
  }
}
