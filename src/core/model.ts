/**
 * Plain-data snapshots of ECS state. The AWS adapters translate SDK answers into these,
 * so the planner and the executor never see an SDK type and tests can build them by hand.
 */

export interface Tag {
  readonly key: string;
  readonly value: string;
}

export interface TaskDefinitionSnapshot {
  readonly arn: string;
  readonly family: string;
  readonly revision: number;
  readonly status?: string;
  /** Everything DescribeTaskDefinition returned for the task definition, as JSON-safe data. */
  readonly definition: Readonly<Record<string, unknown>>;
  /** Tags come back beside the task definition (include TAGS), not inside it. */
  readonly tags: readonly Tag[];
  /**
   * Fields ECS answered that the AWS SDK in this build does not model and so dropped (paths such as
   * `containerDefinitions[0].restartPolicy`). A copy of this revision would silently lose them.
   */
  readonly unmodelledFields?: readonly string[];
}

export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface DeploymentSnapshot {
  readonly id: string;
  /** PRIMARY, ACTIVE or INACTIVE. */
  readonly status: string;
  readonly taskDefinitionArn: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly pendingCount: number;
  readonly failedTasks: number;
  readonly rolloutState?: RolloutState;
  readonly rolloutStateReason?: string;
}

export type DeploymentControllerType = 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL';

/**
 * deploymentConfiguration.strategy of a service on the ECS controller
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html).
 */
export type DeploymentStrategy = 'ROLLING' | 'BLUE_GREEN' | 'LINEAR' | 'CANARY';

/** What a staged (BLUE_GREEN, LINEAR, CANARY) deployment waits for on purpose, as configured on the service. */
export interface StagedWaits {
  /** Both revisions stay up this long after production traffic has shifted. */
  readonly bakeTimeInMinutes?: number;
  readonly linearStepPercent?: number;
  readonly linearStepBakeTimeInMinutes?: number;
  readonly canaryBakeTimeInMinutes?: number;
}

/** One service deployment (ListServiceDeployments / DescribeServiceDeployments): where a deployment is in its lifecycle. */
export interface ServiceDeploymentSnapshot {
  readonly arn: string;
  /** PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED, ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED… */
  readonly status: string;
  /** SCALE_UP, TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, CLEAN_UP… */
  readonly lifecycleStage?: string;
  readonly statusReason?: string;
  readonly rollbackReason?: string;
}

export interface ServiceSnapshot {
  readonly clusterArn: string;
  readonly clusterName: string;
  readonly serviceName: string;
  readonly serviceArn: string;
  /** ACTIVE, DRAINING or INACTIVE. */
  readonly status: string;
  readonly taskDefinitionArn: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly pendingCount: number;
  readonly schedulingStrategy: 'REPLICA' | 'DAEMON';
  readonly deploymentController: DeploymentControllerType;
  /** ROLLING when ECS answered no strategy. */
  readonly deploymentStrategy?: DeploymentStrategy;
  readonly stagedWaits?: StagedWaits;
  /** The target groups ECS registers the service's tasks in. */
  readonly loadBalancers?: readonly { readonly targetGroupArn: string; readonly containerName?: string; readonly containerPort?: number }[];
  readonly launchType?: string;
  /** How the service launches its tasks; a one-off task run for it (`--run-before`) launches the same way. */
  readonly capacityProviderStrategy?: readonly CapacityProviderStrategyItem[];
  readonly platformVersion?: string;
  /** The awsvpc configuration (subnets, security groups, public IP), as DescribeServices returns it. */
  readonly networkConfiguration?: Readonly<Record<string, unknown>>;
  readonly minimumHealthyPercent: number;
  readonly maximumPercent: number;
  readonly deployments: readonly DeploymentSnapshot[];
  /** The newest service events, newest first, for explaining a stuck deployment. */
  readonly events: readonly { readonly message: string; readonly createdAt?: string }[];
}

export interface CapacityProviderStrategyItem {
  readonly capacityProvider: string;
  readonly weight?: number;
  readonly base?: number;
}

export interface TaskSnapshot {
  readonly taskArn: string;
  readonly taskDefinitionArn: string;
  readonly lastStatus: string;
  readonly desiredStatus: string;
  readonly group?: string;
  readonly startedBy?: string;
  readonly startedAt?: string;
  /** Each container's image and, when ECS resolved it, the digest it runs (`imageDigest`). */
  readonly containers?: readonly { readonly name: string; readonly image?: string; readonly imageDigest?: string }[];
  /** HEALTHY, UNHEALTHY or UNKNOWN: the essential containers' health checks (UNKNOWN when none has one). */
  readonly healthStatus?: string;
  /** The task's own IP (awsvpc): what an `ip` target group registers it as. */
  readonly privateIpv4Address?: string;
  /** The container instance an EC2 task runs on: with bridge or host networking, an `instance` target group
   * registers the task as that instance's EC2 id at the host port ECS bound. */
  readonly containerInstanceArn?: string;
  /** The host ports ECS bound for the task's containers (bridge and host networking). */
  readonly networkBindings?: readonly NetworkBinding[];
}

export interface NetworkBinding {
  readonly containerName: string;
  readonly containerPort?: number;
  readonly hostPort: number;
}

export interface ServiceKey {
  readonly cluster: string;
  readonly service: string;
}

export function serviceLabel(key: ServiceKey): string {
  return `${key.cluster}/${key.service}`;
}

/**
 * The name at the end of an ECS ARN: `…:cluster/prod` → `prod`, `…:task-definition/web:3` → `web:3`
 * (the name people use for a revision). A plain name stays as it is.
 */
export function nameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

export const revisionName = nameFromArn;
