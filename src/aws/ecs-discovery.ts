import { chunk, mapConcurrent } from '../core/collections.js';
import { MissingClusterError, UsageError } from '../core/errors.js';
import { DESCRIBE_SERVICES_MAX_NAMES } from '../core/limits.js';
import { nameFromArn } from '../core/model.js';
import type { ObservedState } from '../core/plan.js';
import type { EcsReader } from '../core/ports.js';
import { checkSelectors, namesByCluster, parseServiceSelector, unmatchedSelectors } from '../core/service-selector.js';
import { isAwsError } from './errors.js';
import { describeTaskDefinitionsInUse } from './task-definitions-in-use.js';

export interface DiscoveryOptions {
  /** Cluster names or ARNs; all clusters in the region when absent. */
  readonly clusters?: readonly string[];
  /** Service selectors (`name`, `cluster/name`, service ARN); every service when absent. */
  readonly services?: readonly string[];
  readonly allFamilies: boolean;
  readonly concurrency: number;
}

/**
 * Reads what a rollout plan needs, in as few calls as the API allows: clusters and services
 * in pages of 100, services described ten at a time, each distinct task definition once.
 */
export async function discoverRolloutState(ecs: EcsReader, options: DiscoveryOptions): Promise<ObservedState> {
  const region = await ecs.region();
  const selectors = options.services?.length ? options.services.map(parseServiceSelector) : undefined;
  checkSelectors(selectors ?? [], options.clusters ?? [], region);
  const needsEveryCluster = !options.clusters?.length && (selectors === undefined || selectors.some((selector) => selector.cluster === undefined));
  const clustersInScope = options.clusters?.length ? [...options.clusters] : needsEveryCluster ? await ecs.listClusterArns() : [];
  // Named services are described directly: listing a cluster to find ten names would cost more calls.
  const named = selectors === undefined ? undefined : namesByCluster(selectors, clustersInScope);
  const clusters = named === undefined ? clustersInScope : [...new Set([...clustersInScope.map(nameFromArn), ...named.keys()])];

  // Every cluster came from ListClusters, none from the user. DeleteCluster leaves a cluster INACTIVE and
  // "discoverable in your account for a period of time", and one may go between ListClusters and ListServices:
  // such a cluster has no service to move, so it is passed over; a cluster the user named is still an error.
  // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteCluster.html
  const allListed = !options.clusters?.length && named === undefined;
  const perCluster = await mapConcurrent(clusters, options.concurrency, async (cluster) => {
    try {
      const names = named === undefined ? await ecs.listServiceArns(cluster) : (named.get(nameFromArn(cluster)) ?? []);
      const groups = chunk(names, DESCRIBE_SERVICES_MAX_NAMES);
      const described = await mapConcurrent(groups, options.concurrency, async (group) => {
        try {
          return await ecs.describeServices(cluster, group);
        } catch (error) {
          if (isAwsError(error, 'ClusterNotFoundException')) throw ecs.missingCluster(cluster, region);
          throw error;
        }
      });
      return described.flat().filter((service) => service.status !== 'INACTIVE');
    } catch (error) {
      if (allListed && error instanceof MissingClusterError) return [];
      throw error;
    }
  });
  const services = perCluster.flat();

  if (selectors !== undefined) {
    const missing = unmatchedSelectors(selectors, services);
    if (missing.length > 0) {
      // Only now, on the way to an error, is it worth a call to tell a missing cluster from a missing service.
      const existing = new Set((await ecs.listClusterArns()).map(nameFromArn));
      const absentCluster = missing.find((selector) => selector.cluster !== undefined && !existing.has(selector.cluster));
      if (absentCluster?.cluster !== undefined) throw ecs.missingCluster(absentCluster.cluster, region);
      const scope = options.clusters?.length ? `cluster ${options.clusters.map(nameFromArn).join(', ')}` : 'any cluster';
      throw new UsageError(
        `no such service in ${region ?? 'this region'}: ${missing.map((selector) => (selector.cluster === undefined ? `${selector.service} (in ${scope})` : selector.text)).join(', ')}`,
      );
    }
  }
  const account = [...clustersInScope, ...services.map((service) => service.serviceArn)].find((arn) => arn.startsWith('arn:'))?.split(':')[4];
  const looked = { clusters: clusters.map(nameFromArn), ...(region === undefined ? {} : { region }), ...(account ? { account } : {}) };

  const definitions = await describeTaskDefinitionsInUse(
    ecs,
    services.map((service) => service.taskDefinitionArn),
    options.concurrency,
  );
  const taskDefinitions = Object.fromEntries(definitions.map((definition) => [definition.arn, definition]));

  if (!options.allFamilies) return { services, taskDefinitions, looked };
  const familiesInUse = new Set(definitions.map((definition) => definition.family));
  const idle = (await ecs.listActiveFamilies()).filter((family) => !familiesInUse.has(family));
  // Described by family name: the newest revision, remembered as such for the registration that follows.
  const idleFamilies = (await mapConcurrent(idle, options.concurrency, (family) => ecs.latestTaskDefinition(family))).filter(
    (definition) => definition !== undefined,
  );
  return { services, taskDefinitions, idleFamilies, looked };
}
