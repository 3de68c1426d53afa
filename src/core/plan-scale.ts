import type { ServiceSnapshot } from './model.js';
import { PLAN_VERSION, type DeploymentPlan, type ServiceAction } from './plan-types.js';
import { skipReason } from './plan-services.js';

/**
 * A scale is a deployment plan with the task definition pinned: one service, its count changed,
 * carried out and waited for by the same executor as a rollout.
 */
export function planScale(service: ServiceSnapshot, targetDesiredCount: number): DeploymentPlan {
  const skip = skipReason(service);
  const action: ServiceAction = skip !== undefined ? 'skip' : targetDesiredCount === service.desiredCount ? 'none' : 'scale';
  return {
    version: PLAN_VERSION,
    kind: 'scale',
    target: { image: '', repository: '' },
    strategy: 'rolling',
    registrations: [],
    services: [
      {
        cluster: service.clusterName,
        clusterArn: service.clusterArn,
        service: service.serviceName,
        serviceArn: service.serviceArn,
        action,
        ...(skip !== undefined
          ? { reason: skip, skipKind: 'not-movable' as const }
          : action === 'none'
            ? { reason: `desired count is already ${targetDesiredCount}` }
            : {}),
        taskDefinitionArn: service.taskDefinitionArn,
        changes: [],
        desiredCount: service.desiredCount,
        targetDesiredCount,
        minimumHealthyPercent: service.minimumHealthyPercent,
        maximumPercent: service.maximumPercent,
        schedulingStrategy: service.schedulingStrategy,
      },
    ],
    unaffectedServices: 0,
  };
}
