import { OperationFailedError } from './errors.js';
import { serviceLabel } from './model.js';
import type { DeploymentPlan } from './plan.js';

/** A pipeline's guard against "nothing matched" looking like a deploy: `--expect-services N` / `--require-match`. */
export type ServiceExpectation = { readonly exactly: number } | { readonly atLeast: number };

/** Where the run looked, in words: "3 services in 2 clusters of account 1234… in us-east-1". */
export function describeScope(plan: DeploymentPlan): string {
  const scope = plan.scope;
  if (scope === undefined) return `${plan.services.length + plan.unaffectedServices} services`;
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  return (
    `${plural(scope.services, 'service')} in ${plural(scope.clusters, 'cluster')}` +
    ` of account ${scope.account ?? 'unknown'} in ${scope.region ?? 'an unknown region'}`
  );
}

/**
 * The services a rollout matched are those whose task definition runs the image, whatever it does with
 * them (move, keep, skip). Refused before any change, so a wrong region or a mistyped image fails the job.
 */
export function checkExpectedServices(plan: DeploymentPlan, expectation: ServiceExpectation | undefined): void {
  if (expectation === undefined) return;
  const matched = plan.services.length;
  const ok = 'exactly' in expectation ? matched === expectation.exactly : matched >= expectation.atLeast;
  if (ok) return;
  const wanted = 'exactly' in expectation ? `${expectation.exactly}` : `at least ${expectation.atLeast}`;
  const names = plan.services.map(serviceLabel).join(', ');
  throw new OperationFailedError(
    `expected ${wanted} service${'exactly' in expectation && expectation.exactly === 1 ? '' : 's'} running ${plan.target.repository}, ` +
      `found ${matched}${matched === 0 ? '' : ` (${names})`} among ${describeScope(plan)}; nothing was changed`,
  );
}
