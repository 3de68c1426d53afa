// Target groups and their health in the sandbox (test/sandbox/elb_health.py models target health), for the
// tests of load-balanced services.
import {
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
  type TargetTypeEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { REGION } from './ecs.js';

export function elbClient(endpoint: string): ElasticLoadBalancingV2Client {
  return new ElasticLoadBalancingV2Client({ endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
}

/**
 * An HTTP target group checked every 5 ECS seconds that needs 5 passing checks to turn a target healthy, so a
 * new target takes 25 ECS seconds: longer than a task takes to start. Answers its ARN.
 */
export async function createTargetGroup(
  elb: ElasticLoadBalancingV2Client,
  group: { readonly name: string; readonly vpcId: string; readonly port: number; readonly targetType: TargetTypeEnum },
): Promise<string> {
  const answer = await elb.send(
    new CreateTargetGroupCommand({
      Name: group.name,
      Protocol: 'HTTP',
      Port: group.port,
      VpcId: group.vpcId,
      TargetType: group.targetType,
      HealthCheckIntervalSeconds: 5,
      HealthyThresholdCount: 5,
    }),
  );
  return answer.TargetGroups?.[0]?.TargetGroupArn ?? '';
}

export async function targetHealth(elb: ElasticLoadBalancingV2Client, targetGroupArn: string): Promise<TargetHealthDescription[]> {
  return (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))).TargetHealthDescriptions ?? [];
}

/** Each registered target's state (initial, healthy, unhealthy, draining …). */
export async function targetStates(elb: ElasticLoadBalancingV2Client, targetGroupArn: string): Promise<(string | undefined)[]> {
  return (await targetHealth(elb, targetGroupArn)).map((description) => description.TargetHealth?.State);
}
