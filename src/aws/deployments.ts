import { DescribeServiceDeploymentsCommand, type ECSClient, ListServiceDeploymentsCommand, type Service, type Task } from '@aws-sdk/client-ecs';
import type { ServiceDeploymentRecord } from '../core/gone-deployment.js';
import type { ServiceDeploymentSnapshot, ServiceSnapshot, StagedWaits, TaskSnapshot } from '../core/model.js';

/** The service's target groups (a classic load balancer, by name only, has none to ask). */
export function loadBalancersOf(service: Service): Pick<ServiceSnapshot, 'loadBalancers'> {
  const groups = (service.loadBalancers ?? []).flatMap((balancer) =>
    balancer.targetGroupArn === undefined
      ? []
      : [
          {
            targetGroupArn: balancer.targetGroupArn,
            ...(balancer.containerName === undefined ? {} : { containerName: balancer.containerName }),
            ...(balancer.containerPort === undefined ? {} : { containerPort: balancer.containerPort }),
          },
        ],
  );
  return groups.length === 0 ? {} : { loadBalancers: groups };
}

/** The task's ENI address (awsvpc), which an `ip` target group knows it by. */
export function taskNetworkOf(task: Task): Pick<TaskSnapshot, 'privateIpv4Address'> {
  for (const attachment of task.attachments ?? []) {
    const address = attachment.details?.find((detail) => detail.name === 'privateIPv4Address')?.value;
    if (address !== undefined) return { privateIpv4Address: address };
  }
  return {};
}

/** What a BLUE_GREEN, LINEAR or CANARY deployment of the service waits for on purpose, from its configuration. */
export function stagedWaitsOf(configuration: Service['deploymentConfiguration']): { stagedWaits?: StagedWaits } {
  if (configuration === undefined) return {};
  const waits: StagedWaits = {
    ...(configuration.bakeTimeInMinutes === undefined ? {} : { bakeTimeInMinutes: configuration.bakeTimeInMinutes }),
    ...(configuration.linearConfiguration?.stepPercent === undefined ? {} : { linearStepPercent: configuration.linearConfiguration.stepPercent }),
    ...(configuration.linearConfiguration?.stepBakeTimeInMinutes === undefined
      ? {}
      : { linearStepBakeTimeInMinutes: configuration.linearConfiguration.stepBakeTimeInMinutes }),
    ...(configuration.canaryConfiguration?.canaryBakeTimeInMinutes === undefined
      ? {}
      : { canaryBakeTimeInMinutes: configuration.canaryConfiguration.canaryBakeTimeInMinutes }),
  };
  return Object.keys(waits).length === 0 ? {} : { stagedWaits: waits };
}

/**
 * The newest service deployment of a service, with its lifecycle stage
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html).
 */
export async function latestServiceDeployment(client: ECSClient, cluster: string, service: string): Promise<ServiceDeploymentSnapshot | undefined> {
  const listed = await client.send(new ListServiceDeploymentsCommand({ cluster, service }));
  const newest = [...(listed.serviceDeployments ?? [])].sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))[0];
  if (newest?.serviceDeploymentArn === undefined) return undefined;
  const described = await client.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [newest.serviceDeploymentArn] }));
  const deployment = described.serviceDeployments?.[0];
  if (deployment === undefined) return undefined;
  return {
    arn: newest.serviceDeploymentArn,
    status: deployment.status ?? newest.status ?? 'IN_PROGRESS',
    ...(deployment.lifecycleStage === undefined ? {} : { lifecycleStage: deployment.lifecycleStage }),
    ...(deployment.statusReason === undefined ? {} : { statusReason: deployment.statusReason }),
    ...(deployment.rollback?.reason === undefined ? {} : { rollbackReason: deployment.rollback.reason }),
  };
}

/** DescribeServiceDeployments takes at most this many ARNs. */
const DESCRIBE_SERVICE_DEPLOYMENTS_MAX = 20;

/**
 * ECS's records of the service's deployments created after `since`, with why each ended
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListServiceDeployments.html: the createdAt filter;
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServiceDeployments.html: statusReason and
 * rollback.reason). Two calls, made only for a deployment that has left the service.
 */
export async function serviceDeploymentsSince(
  client: ECSClient,
  cluster: string,
  service: string,
  since: number,
): Promise<ServiceDeploymentRecord[]> {
  const listed = await client.send(new ListServiceDeploymentsCommand({ cluster, service, createdAt: { after: new Date(since) } }));
  const briefs = (listed.serviceDeployments ?? []).filter((brief) => brief.serviceDeploymentArn !== undefined);
  if (briefs.length === 0) return [];
  const arns = briefs.slice(0, DESCRIBE_SERVICE_DEPLOYMENTS_MAX).map((brief) => brief.serviceDeploymentArn as string);
  const described = await client.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: arns }));
  const byArn = new Map((described.serviceDeployments ?? []).map((deployment) => [deployment.serviceDeploymentArn, deployment]));
  return briefs.map((brief) => {
    const full = byArn.get(brief.serviceDeploymentArn);
    const statusReason = full?.statusReason ?? brief.statusReason;
    const createdAt = (full?.createdAt ?? brief.createdAt)?.getTime();
    return {
      arn: brief.serviceDeploymentArn as string,
      status: full?.status ?? brief.status ?? 'PENDING',
      ...(statusReason === undefined ? {} : { statusReason }),
      ...(full?.rollback?.reason === undefined ? {} : { rollbackReason: full.rollback.reason }),
      ...(createdAt === undefined ? {} : { createdAt }),
    };
  });
}
