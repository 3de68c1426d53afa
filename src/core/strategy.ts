import { UsageError } from './errors.js';
import { revisionName, serviceLabel, type DeploymentStrategy, type ServiceDeploymentSnapshot, type ServiceSnapshot } from './model.js';

/**
 * ECS-native deployment strategies that run the new revision beside the old one and walk lifecycle stages
 * (scale-up, test and production traffic shifts, bake, clean-up) before the old side is scaled in:
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-blue-green.html and
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-how-it-works.html.
 */
export const STAGED_STRATEGIES: ReadonlySet<DeploymentStrategy> = new Set(['BLUE_GREEN', 'LINEAR', 'CANARY']);

export function isStaged(strategy: DeploymentStrategy | undefined): boolean {
  return strategy !== undefined && STAGED_STRATEGIES.has(strategy);
}

/** ECS's defaults (API_LinearConfiguration, API_CanaryConfiguration). */
const LINEAR_DEFAULT_STEP_PERCENT = 10;
const LINEAR_DEFAULT_STEP_BAKE_MINUTES = 6;
const CANARY_DEFAULT_BAKE_MINUTES = 10;

/**
 * How long a staged deployment of this service waits on purpose: bakeTimeInMinutes, plus a linear deployment's
 * waits between its traffic steps (none after the last) or a canary's wait before shifting the rest. A
 * rollout's default timeout grows by this, so it does not give up (and roll back) in the middle of a bake.
 */
export function stagedWaitSeconds(service: Pick<ServiceSnapshot, 'deploymentStrategy' | 'stagedWaits'>): number {
  if (!isStaged(service.deploymentStrategy)) return 0;
  const waits = service.stagedWaits ?? {};
  let minutes = waits.bakeTimeInMinutes ?? 0;
  if (service.deploymentStrategy === 'LINEAR') {
    const steps = Math.ceil(100 / (waits.linearStepPercent ?? LINEAR_DEFAULT_STEP_PERCENT));
    minutes += Math.max(0, steps - 1) * (waits.linearStepBakeTimeInMinutes ?? LINEAR_DEFAULT_STEP_BAKE_MINUTES);
  } else if (service.deploymentStrategy === 'CANARY') {
    minutes += waits.canaryBakeTimeInMinutes ?? CANARY_DEFAULT_BAKE_MINUTES;
  }
  return Math.round(minutes * 60);
}

/**
 * `--strategy replace` stops tasks of the old revision; during a staged deployment those are the side still
 * serving production (blue), so the replace strategy is refused for these services before anything changes.
 */
export function replaceRefusal(
  services: readonly { cluster: string; service: string; deploymentStrategy?: DeploymentStrategy }[],
): UsageError | undefined {
  const staged = services.filter((service) => isStaged(service.deploymentStrategy));
  if (staged.length === 0) return undefined;
  const names = staged.map((service) => `${serviceLabel(service)} (${service.deploymentStrategy})`).join(', ');
  return new UsageError(
    `--strategy replace cannot move ${names}: ECS runs the new revision beside the old one through its ` +
      'traffic shift and bake, and the tasks replace would stop are the ones still serving production. ' +
      'Nothing was changed; run the rollout without --strategy replace and ECS moves them itself',
  );
}

/**
 * The tracked staged deployment failed: did ECS roll it back itself? It does for BLUE_GREEN, LINEAR and CANARY
 * (failed tasks, a deployment alarm, a lifecycle hook), putting the service back on the source revision and
 * ending the service deployment ROLLBACK_*; ecs-roll then reports that rollback instead of making its own.
 */
export function ecsRollbackReason(
  sourceTaskDefinitionArn: string,
  service: Pick<ServiceSnapshot, 'taskDefinitionArn'>,
  serviceDeployment: ServiceDeploymentSnapshot | undefined,
  failure: string,
): string | undefined {
  const byStatus = serviceDeployment?.status.startsWith('ROLLBACK') === true;
  if (!byStatus && service.taskDefinitionArn !== sourceTaskDefinitionArn) return undefined;
  const why = serviceDeployment?.rollbackReason ?? serviceDeployment?.statusReason ?? failure;
  const outcome =
    serviceDeployment?.status === 'ROLLBACK_FAILED'
      ? 'tried to roll it back and failed'
      : `rolled it back to ${revisionName(sourceTaskDefinitionArn)}`;
  return `the deployment failed and ECS ${outcome}: ${why}`;
}
