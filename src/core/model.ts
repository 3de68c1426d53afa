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
  readonly launchType?: string;
  readonly minimumHealthyPercent: number;
  readonly maximumPercent: number;
  readonly deployments: readonly DeploymentSnapshot[];
  /** The newest service events, newest first, for explaining a stuck deployment. */
  readonly events: readonly { readonly message: string; readonly createdAt?: string }[];
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
