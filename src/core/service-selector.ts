import { UsageError } from './errors.js';
import { nameFromArn } from './model.js';

/**
 * One `--service` value, with its exact meaning: `web` is a service of that name in any cluster in
 * scope, `prod/web` the one in cluster prod only, and a service ARN exactly that service (its region
 * and account too). A selector never widens: naming a cluster narrows the search to it.
 */
export interface ServiceSelector {
  readonly text: string;
  readonly service: string;
  readonly cluster?: string;
  /** From an ARN: the service must be in this region and account. */
  readonly region?: string;
  readonly account?: string;
}

// Service ARNs, long format `…:service/<cluster>/<service>` and the older `…:service/<service>`:
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html#ecs-resource-ids
const SERVICE_ARN = /^arn:aws[a-z-]*:ecs:([a-z0-9-]+):(\d{12}):service\/(?:([A-Za-z0-9_-]{1,255})\/)?([A-Za-z0-9_-]{1,255})$/;
const NAME = /^[A-Za-z0-9_-]{1,255}$/;

export function parseServiceSelector(text: string): ServiceSelector {
  const value = text.trim();
  if (value.startsWith('arn:')) {
    const match = SERVICE_ARN.exec(value);
    if (match === null)
      throw new UsageError(
        `--service ${JSON.stringify(text)} is not an ECS service ARN (arn:aws:ecs:<region>:<account>:service/<cluster>/<service>)`,
      );
    const [, region = '', account = '', cluster, service = ''] = match;
    return { text: value, service, region, account, ...(cluster === undefined ? {} : { cluster }) };
  }
  const parts = value.split('/');
  if (parts.length > 2 || !parts.every((part) => NAME.test(part))) {
    throw new UsageError(`--service takes <service>, <cluster>/<service> or a service ARN, got ${JSON.stringify(text)}`);
  }
  const [first = '', second] = parts;
  return second === undefined ? { text: value, service: first } : { text: value, cluster: first, service: second };
}

/**
 * Refuses selectors that contradict `--cluster` (a cluster outside it, which would otherwise either widen
 * the run or silently match nothing) and ARNs of another region than the one searched.
 */
export function checkSelectors(selectors: readonly ServiceSelector[], clusters: readonly string[], region: string | undefined): void {
  const allowed = new Set(clusters.map(nameFromArn));
  for (const selector of selectors) {
    if (selector.cluster !== undefined && allowed.size > 0 && !allowed.has(selector.cluster)) {
      throw new UsageError(`--service ${selector.text} names cluster ${selector.cluster}, which --cluster leaves out (${[...allowed].join(', ')})`);
    }
    if (selector.region !== undefined && region !== undefined && selector.region !== region) {
      throw new UsageError(
        `--service ${selector.text} is in region ${selector.region}, but this run searches ${region}; pass --region ${selector.region}`,
      );
    }
  }
}

/** Per cluster name: which service names to describe there. Bare names go to every cluster in scope. */
export function namesByCluster(selectors: readonly ServiceSelector[], clustersInScope: readonly string[]): Map<string, string[]> {
  const bare = selectors.filter((selector) => selector.cluster === undefined).map((selector) => selector.service);
  const byCluster = new Map<string, Set<string>>();
  const add = (cluster: string, name: string) => {
    const names = byCluster.get(cluster) ?? new Set<string>();
    names.add(name);
    byCluster.set(cluster, names);
  };
  if (bare.length > 0) for (const cluster of clustersInScope) for (const name of bare) add(nameFromArn(cluster), name);
  for (const selector of selectors) if (selector.cluster !== undefined) add(selector.cluster, selector.service);
  return new Map([...byCluster].map(([cluster, names]) => [cluster, [...names]]));
}

/** The selectors that matched no service; `found` holds `cluster/service` of what was described. */
export function unmatchedSelectors(
  selectors: readonly ServiceSelector[],
  found: readonly { clusterName: string; serviceName: string; serviceArn: string }[],
): ServiceSelector[] {
  return selectors.filter(
    (selector) =>
      !found.some(
        (service) =>
          service.serviceName === selector.service &&
          (selector.cluster === undefined || service.clusterName === selector.cluster) &&
          (selector.account === undefined || service.serviceArn.split(':')[4] === selector.account),
      ),
  );
}
