import { mapConcurrent } from '../core/collections.js';
import { UsageError } from '../core/errors.js';
import { DEFAULT_CONCURRENCY } from '../core/limits.js';
import type { ServiceSnapshot } from '../core/model.js';
import type { EcsReader } from '../core/ports.js';
import { isAwsError } from './errors.js';

/**
 * Finds one service by name: in the given cluster, or in whichever cluster holds it. A name that
 * several clusters hold is ambiguous and refused, listing them, rather than guessed.
 */
export async function findService(ecs: EcsReader, service: string, cluster?: string): Promise<ServiceSnapshot> {
  const clusters = cluster === undefined ? await ecs.listClusterArns() : [cluster];
  const found = (
    await mapConcurrent(clusters, DEFAULT_CONCURRENCY, async (candidate) => {
      try {
        return await ecs.describeServices(candidate, [service]);
      } catch (error) {
        if (isAwsError(error, 'ClusterNotFoundException')) {
          throw ecs.missingCluster(candidate, await ecs.region());
        }
        throw error;
      }
    })
  )
    .flat()
    .filter((snapshot) => snapshot.status !== 'INACTIVE');
  if (found.length === 0) {
    const region = (await ecs.region()) ?? 'this region';
    throw new UsageError(`no service named ${service} in ${cluster === undefined ? `any cluster of ${region}` : `cluster ${cluster} (${region})`}`);
  }
  if (found.length > 1) {
    throw new UsageError(
      `service ${service} exists in several clusters: ${found.map((snapshot) => snapshot.clusterName).join(', ')}; name one with cluster/service or --cluster`,
    );
  }
  return found[0] as ServiceSnapshot;
}
