import type { ObservedState } from './plan-types.js';

/** Where a run looked, so a run that matched nothing says where it did not find it. */
export interface PlanScope {
  /** From the ARNs seen; unknown when there were none. */
  readonly account?: string;
  readonly region?: string;
  readonly clusters: number;
  readonly services: number;
}

/** The account and region come from the ARNs ECS answered (arn:aws:ecs:<region>:<account>:…), so no extra call. */
export function scopeOf(state: ObservedState): PlanScope {
  const arn = state.services[0]?.serviceArn ?? state.services[0]?.clusterArn ?? '';
  const [, , , arnRegion, arnAccount] = arn.split(':');
  const account = state.looked?.account ?? arnAccount;
  const region = state.looked?.region ?? (arnRegion === '' ? undefined : arnRegion);
  return {
    ...(account === undefined || account === '' ? {} : { account }),
    ...(region === undefined ? {} : { region }),
    clusters: state.looked?.clusters.length ?? new Set(state.services.map((service) => service.clusterArn)).size,
    services: state.services.length,
  };
}
