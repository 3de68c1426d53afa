// The seeded estate every rollout measurement runs against, and the fewest calls the ECS API allows for it.
import type { ECSClient } from '@aws-sdk/client-ecs';
import { mapConcurrent } from '../src/core/collections.js';
import type { SandboxControl } from '../test/sandbox/client.js';
import { container, createCluster, createService, registerTaskDefinition } from '../test/integration/helpers.js';

export const IMAGE = 'acme/web';
export const FROM_TAG = '1.0';
export const TO_TAG = '1.1';
const OTHER_IMAGE = 'acme/api:1.0';
/** Services per task definition revision. */
export const SHARING = 5;
/** One service in this many runs the image being rolled out. */
export const MATCH_EVERY = 5;
const SEED_CONCURRENCY = 8;

export interface Workload {
  readonly services: number;
  readonly clusters: number;
}

export interface SeededService {
  readonly cluster: string;
  readonly service: string;
  readonly matching: boolean;
}

export interface Seeded {
  readonly workload: Workload;
  readonly services: readonly SeededService[];
  /** Services per cluster, in cluster order. */
  readonly perCluster: readonly number[];
  readonly taskDefinitions: number;
  readonly matchingTaskDefinitions: number;
  readonly matchingServices: number;
}

/**
 * Service i lives in cluster i mod clusters and runs the image when i mod 5 is 0 (a fifth, at least one).
 * Matching services share their revisions five to one, as do the others; every revision is its own family.
 * Services are created with desiredCount 0, so no task is ever scheduled and seeding stays fast.
 */
export async function seed(ecs: ECSClient, sandbox: SandboxControl, workload: Workload): Promise<Seeded> {
  await sandbox.reset();
  // The sandbox runs without its scheduler thread; pausing too keeps a reset from mattering.
  await sandbox.config({ paused: true });
  const clusterNames = Array.from({ length: workload.clusters }, (_, c) => `bench-${String(c).padStart(2, '0')}`);
  await mapConcurrent(clusterNames, SEED_CONCURRENCY, (name) => createCluster(ecs, name));

  const plan = Array.from({ length: workload.services }, (_, i) => ({
    cluster: clusterNames[i % workload.clusters] as string,
    service: `svc-${String(i).padStart(4, '0')}`,
    matching: i % MATCH_EVERY === 0,
  }));
  const matching = plan.filter((entry) => entry.matching);
  const others = plan.filter((entry) => !entry.matching);
  const matchingFamilies = Math.ceil(matching.length / SHARING);
  const otherFamilies = Math.ceil(others.length / SHARING);

  const families = [
    ...Array.from({ length: matchingFamilies }, (_, j) => ({
      family: `bench-web-${j}`,
      containers: [container('web', `${IMAGE}:${FROM_TAG}`), container('envoy', 'envoyproxy/envoy:v1.30.1', { essential: false })],
    })),
    ...Array.from({ length: otherFamilies }, (_, j) => ({ family: `bench-api-${j}`, containers: [container('api', OTHER_IMAGE)] })),
  ];
  const arns = await mapConcurrent(families, SEED_CONCURRENCY, ({ family, containers }) =>
    registerTaskDefinition(ecs, family, containers, { tags: [{ key: 'team', value: 'bench' }] }),
  );
  const taskDefinitionOf = new Map<string, string>();
  for (const [k, entry] of matching.entries()) taskDefinitionOf.set(entry.service, arns[Math.floor(k / SHARING)] as string);
  for (const [k, entry] of others.entries()) taskDefinitionOf.set(entry.service, arns[matchingFamilies + Math.floor(k / SHARING)] as string);

  await mapConcurrent(plan, SEED_CONCURRENCY, (entry) =>
    createService(ecs, entry.cluster, entry.service, taskDefinitionOf.get(entry.service) as string, { desiredCount: 0 }),
  );
  await sandbox.clearCalls();
  return {
    workload,
    services: plan,
    perCluster: clusterNames.map((name) => plan.filter((entry) => entry.cluster === name).length),
    taskDefinitions: families.length,
    matchingTaskDefinitions: matchingFamilies,
    matchingServices: matching.length,
  };
}

export interface Bound {
  readonly ListClusters: number;
  readonly ListServices: number;
  readonly DescribeServices: number;
  readonly DescribeTaskDefinition: number;
  readonly RegisterTaskDefinition: number;
  readonly UpdateService: number;
  readonly total: number;
}

/**
 * The fewest calls any tool needs for this rollout: clusters and services listed in pages of 100,
 * services described ten at a time, each distinct revision described once, one registration per
 * distinct matching revision, one update per matching service.
 */
export function lowerBound(seeded: Seeded): Bound {
  const ListClusters = Math.max(1, Math.ceil(seeded.workload.clusters / 100));
  const ListServices = seeded.perCluster.reduce((sum, count) => sum + Math.max(1, Math.ceil(count / 100)), 0);
  const DescribeServices = seeded.perCluster.reduce((sum, count) => sum + Math.ceil(count / 10), 0);
  const DescribeTaskDefinition = seeded.taskDefinitions;
  const RegisterTaskDefinition = seeded.matchingTaskDefinitions;
  const UpdateService = seeded.matchingServices;
  return {
    ListClusters,
    ListServices,
    DescribeServices,
    DescribeTaskDefinition,
    RegisterTaskDefinition,
    UpdateService,
    total: ListClusters + ListServices + DescribeServices + DescribeTaskDefinition + RegisterTaskDefinition + UpdateService,
  };
}
