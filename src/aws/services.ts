import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { mapConcurrent } from '../core/collections.js';
import { UsageError } from '../core/errors.js';
import { DEFAULT_CONCURRENCY } from '../core/limits.js';
import type { ServiceSnapshot } from '../core/model.js';
import { clientConfig, type AwsConfig } from './config.js';
import type { SdkEcs } from './ecs.js';

/**
 * Finds one service by name: in the given cluster, or in whichever cluster holds it. A name that
 * several clusters hold is ambiguous and refused, listing them, rather than guessed.
 */
export async function findService(ecs: SdkEcs, service: string, cluster?: string): Promise<ServiceSnapshot> {
  const clusters = cluster === undefined ? await ecs.listClusterArns() : [cluster];
  const found = (
    await mapConcurrent(clusters, DEFAULT_CONCURRENCY, async (candidate) => {
      try {
        return await ecs.describeServices(candidate, [service]);
      } catch (error) {
        if (error instanceof Error && error.name === 'ClusterNotFoundException') {
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

export interface ScalableTarget {
  readonly resourceId: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
}

/** Application Auto Scaling names an ECS service `service/<cluster>/<service>`. */
export function scalableResourceId(service: Pick<ServiceSnapshot, 'clusterName' | 'serviceName'>): string {
  return `service/${service.clusterName}/${service.serviceName}`;
}

export class AutoScaling {
  private readonly client: ApplicationAutoScalingClient;

  constructor(aws: AwsConfig) {
    this.client = new ApplicationAutoScalingClient(clientConfig(aws));
  }

  async scalableTarget(service: ServiceSnapshot): Promise<ScalableTarget | undefined> {
    const resourceId = scalableResourceId(service);
    const answer = await this.client.send(
      new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [resourceId], ScalableDimension: 'ecs:service:DesiredCount' }),
    );
    const target = answer.ScalableTargets?.find((candidate) => candidate.ResourceId === resourceId);
    if (target === undefined) return undefined;
    return { resourceId, minCapacity: target.MinCapacity ?? 0, maxCapacity: target.MaxCapacity ?? 0 };
  }

  async setBounds(target: ScalableTarget, minCapacity: number, maxCapacity: number): Promise<void> {
    await this.client.send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: 'ecs',
        ResourceId: target.resourceId,
        ScalableDimension: 'ecs:service:DesiredCount',
        MinCapacity: minCapacity,
        MaxCapacity: maxCapacity,
      }),
    );
  }

  destroy(): void {
    this.client.destroy();
  }
}
