import { goneReason } from './gone-deployment.js';
import { type DeploymentSnapshot, revisionName, type ServiceSnapshot } from './model.js';

export type DeploymentAssessment =
  | { readonly state: 'in-progress'; readonly progress: DeploymentProgress }
  | { readonly state: 'completed'; readonly progress: DeploymentProgress }
  | {
      readonly state: 'failed';
      readonly reason: string;
      readonly progress: DeploymentProgress;
      /** The tracked deployment has left the service's list: ECS's record of it may say more (gone-deployment.ts). */
      readonly gone?: true;
    };

export interface DeploymentProgress {
  /** Tasks of the tracked deployment (so: on the new revision) that run. */
  readonly running: number;
  readonly pending: number;
  readonly desired: number;
  readonly failedTasks: number;
  readonly rolloutState?: string;
  /** A BLUE_GREEN, LINEAR or CANARY deployment's lifecycle stage (SCALE_UP, PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME…). */
  readonly stage?: string;
}

function progressOf(service: ServiceSnapshot, deployment: DeploymentSnapshot | undefined): DeploymentProgress {
  return {
    running: deployment?.runningCount ?? 0,
    pending: deployment?.pendingCount ?? 0,
    desired: deployment?.desiredCount ?? service.desiredCount,
    failedTasks: deployment?.failedTasks ?? 0,
    ...(deployment?.rolloutState === undefined ? {} : { rolloutState: deployment.rolloutState }),
  };
}

/**
 * Where the deployment an update created stands. A service that looks stable is not enough:
 * after a circuit-breaker rollback it is stable on the old revision, so only the tracked
 * deployment's own state counts.
 */
export function assessDeployment(service: ServiceSnapshot, deploymentId: string, options: { settleCount?: boolean } = {}): DeploymentAssessment {
  const deployment = service.deployments.find((candidate) => candidate.id === deploymentId);
  const progress = progressOf(service, deployment);
  if (options.settleCount === true) return assessCount(service, deployment, deploymentId, progress);
  if (deployment === undefined) {
    return {
      state: 'failed',
      reason: goneReason(deploymentId, service),
      progress,
      gone: true,
    };
  }
  if (deployment.rolloutState === 'FAILED') {
    return { state: 'failed', reason: deployment.rolloutStateReason ?? 'the deployment failed', progress };
  }
  if (deployment.rolloutState === 'COMPLETED') return { state: 'completed', progress };
  if (deployment.status !== 'PRIMARY') {
    const primary = service.deployments.find((candidate) => candidate.status === 'PRIMARY');
    return {
      state: 'failed',
      reason: `deployment ${deploymentId} was superseded by ${primary?.id ?? 'another deployment'} (${revisionName(primary?.taskDefinitionArn ?? service.taskDefinitionArn)})`,
      progress,
    };
  }
  if (
    deployment.rolloutState === undefined &&
    service.deployments.length === 1 &&
    deployment.runningCount === deployment.desiredCount &&
    service.runningCount === service.desiredCount
  ) {
    return { state: 'completed', progress };
  }
  return { state: 'in-progress', progress };
}

/**
 * For a change of desired count alone: ECS makes no new deployment, so the one that was PRIMARY
 * must not fail, and the service must run exactly its desired count with nothing pending.
 */
function assessCount(
  service: ServiceSnapshot,
  deployment: DeploymentSnapshot | undefined,
  deploymentId: string,
  progress: DeploymentProgress,
): DeploymentAssessment {
  const counts = { ...progress, running: service.runningCount, pending: service.pendingCount, desired: service.desiredCount };
  if (deployment?.rolloutState === 'FAILED') {
    return { state: 'failed', reason: deployment.rolloutStateReason ?? `deployment ${deploymentId} failed`, progress: counts };
  }
  const settled = service.runningCount === service.desiredCount && service.pendingCount === 0;
  const deploymentDone = deployment === undefined || deployment.rolloutState !== 'IN_PROGRESS' || service.deployments.length === 1;
  return settled && deploymentDone ? { state: 'completed', progress: counts } : { state: 'in-progress', progress: counts };
}

/** The primary deployment of a service as UpdateService answered it: the one the update created. */
export function primaryDeploymentId(service: ServiceSnapshot): string | undefined {
  return service.deployments.find((deployment) => deployment.status === 'PRIMARY')?.id;
}

const PLACEMENT_FAILURE = /unable to place a task/i;

/** The latest service event that explains a stuck deployment, if ECS wrote one. */
export function stuckReason(service: ServiceSnapshot): string | undefined {
  return service.events.find((event) => PLACEMENT_FAILURE.test(event.message))?.message;
}
