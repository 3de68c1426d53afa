import { revisionName, type ServiceSnapshot } from './model.js';

/**
 * ECS's own record of one service deployment (ListServiceDeployments / DescribeServiceDeployments,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html). ECS keeps it after the
 * deployment has left the service's `deployments` list, so it still says why a rolled-back deployment ended.
 */
export interface ServiceDeploymentRecord {
  readonly arn: string;
  /** PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED, STOP_REQUESTED, ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED. */
  readonly status: string;
  readonly statusReason?: string;
  readonly rollbackReason?: string;
  /** Epoch ms, on ECS's clock. */
  readonly createdAt?: number;
}

/**
 * How far ECS's clock may be from this machine's when records are matched by creation time: a record created
 * this long before UpdateService answered still counts as a candidate (and makes the match ambiguous).
 */
export const RECORD_MATCH_SKEW_MS = 60_000;

const ENDED_BADLY = new Set(['STOPPED', 'STOP_REQUESTED', 'ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED']);

/**
 * The record of the deployment this run created, among the service's records created since `updatedAt` (this
 * machine's clock when UpdateService answered) less the skew. Neither DescribeServices' deployment id nor the
 * service deployment ARN is documented to name the other, so the match goes by time and outcome: our update
 * created exactly one deployment, and a deployment that vanished from the service without completing ended
 * badly. Exactly one candidate that ended badly is ours; none, or more than one (an earlier deployment within
 * the skew, or a later one that also failed), is no match at all.
 */
export function matchGoneDeployment(records: readonly ServiceDeploymentRecord[], updatedAt: number): ServiceDeploymentRecord | undefined {
  const candidates = records.filter(
    (record) => record.createdAt !== undefined && record.createdAt >= updatedAt - RECORD_MATCH_SKEW_MS && ENDED_BADLY.has(record.status),
  );
  return candidates.length === 1 ? candidates[0] : undefined;
}

/** Today's words for a deployment that left the service list, when ECS's record cannot be matched. */
export function goneReason(deploymentId: string, service: ServiceSnapshot): string {
  return `deployment ${deploymentId} is gone; the service now runs ${revisionName(service.taskDefinitionArn)} (rolled back by ECS or replaced by another deployment)`;
}

/** The failure reason from ECS's record of a deployment that is gone: what happened to it, and why, in ECS's words. */
export function recordedReason(deploymentId: string, record: ServiceDeploymentRecord, service: ServiceSnapshot): string {
  const why = record.statusReason ?? record.rollbackReason;
  const because = why === undefined || why.trim() === '' ? '' : `: ${why.trim()}`;
  const now = `; the service now runs ${revisionName(service.taskDefinitionArn)}`;
  switch (record.status) {
    case 'ROLLBACK_FAILED':
      return `deployment ${deploymentId} failed and ECS could not roll it back (${record.status})${because}${now}`;
    case 'STOPPED':
    case 'STOP_REQUESTED':
      return `deployment ${deploymentId} was stopped (${record.status})${because}${now}`;
    default:
      return `deployment ${deploymentId} failed and ECS rolled it back (${record.status})${because}${now}`;
  }
}
