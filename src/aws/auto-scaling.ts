import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import type { ServiceSnapshot } from '../core/model.js';
import { clientConfig, type AwsConfig } from './config.js';

export interface ScalableTarget {
  readonly resourceId: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
}

/** Application Auto Scaling names an ECS service `service/<cluster>/<service>`. */
export function scalableResourceId(service: Pick<ServiceSnapshot, 'clusterName' | 'serviceName'>): string {
  return `service/${service.clusterName}/${service.serviceName}`;
}

/** Application Auto Scaling's scalable target of an ECS service's desired count. */
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
