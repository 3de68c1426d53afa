import type { LoadBalancerPort } from '../core/ports.js';
import { clientConfig, type AwsConfig } from './config.js';

type ElbModule = typeof import('@aws-sdk/client-elastic-load-balancing-v2');

/**
 * Elastic Load Balancing for the executor: DescribeTargetHealth, which tells when ECS will count a load-balanced
 * task as healthy (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetHealth.html).
 * The SDK client is loaded on the first question, so rollouts that never replace load-balanced tasks never load it.
 */
export class LazyLoadBalancers implements LoadBalancerPort {
  private client: Promise<{ module: ElbModule; client: InstanceType<ElbModule['ElasticLoadBalancingV2Client']> }> | undefined;

  constructor(private readonly aws: AwsConfig) {}

  async targetHealth(targetGroupArn: string): Promise<{ id: string; port?: number; state: string }[]> {
    this.client ??= import('@aws-sdk/client-elastic-load-balancing-v2').then((module) => ({
      module,
      client: new module.ElasticLoadBalancingV2Client(clientConfig(this.aws)),
    }));
    const { module, client } = await this.client;
    const answer = await client.send(new module.DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    return (answer.TargetHealthDescriptions ?? []).flatMap((description) =>
      description.Target?.Id === undefined
        ? []
        : [
            {
              id: description.Target.Id,
              ...(description.Target.Port === undefined ? {} : { port: description.Target.Port }),
              state: description.TargetHealth?.State ?? 'unavailable',
            },
          ],
    );
  }

  destroy(): void {
    void this.client?.then(({ client }) => client.destroy()).catch(() => {});
  }
}
