// 6. ecs-roll beside a per-service deploy tool that behaves as fabfuel/ecs-deploy does, one run of each
// over the same estate: every service runs the image, each on a task definition family of its own.
import { fileURLToPath } from 'node:url';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { mapConcurrent } from '../src/core/collections.js';
import type { SandboxControl } from '../test/sandbox/client.js';
import { container, createCluster, createService, registerTaskDefinition, serviceTaskDefinition } from '../test/integration/helpers.js';
import { BENCH_ENV, CLI, progress, timedRun } from './lib.js';
import { FROM_TAG, IMAGE, TO_TAG, type Workload } from './workload.js';

const PER_SERVICE_DEPLOY = fileURLToPath(new URL('./per-service-deploy.mjs', import.meta.url));
/** Services per cluster: 100 services in 10 clusters, as the estate the comparison was first made on. */
const SERVICES_PER_CLUSTER = 10;
export const SIDE_BY_SIDE_SIZES: readonly number[] = [20, 100, 300];

export interface ToolRun {
  readonly calls: number;
  readonly ms: number;
  /** Peak RSS of the one process (ecs-roll), or of the largest of the per-service processes. */
  readonly peakRssKiB: number;
}

export interface SideBySideRow {
  readonly workload: Workload;
  readonly ecsRoll: ToolRun;
  readonly perService: ToolRun;
  /** ecs-roll's fewest possible calls for this estate (see lowerBound in workload.ts). */
  readonly bound: number;
}

interface OwnFamilyEstate {
  readonly services: readonly { readonly cluster: string; readonly service: string }[];
}

/** `services` services in ⌈services/10⌉ clusters, each on the first revision of a family of its own. */
async function seedOwnFamilies(ecs: ECSClient, sandbox: SandboxControl, services: number): Promise<OwnFamilyEstate> {
  await sandbox.reset();
  await sandbox.config({ paused: true });
  const clusters = Array.from({ length: Math.ceil(services / SERVICES_PER_CLUSTER) }, (_, c) => `side-${String(c).padStart(2, '0')}`);
  await mapConcurrent(clusters, 8, (name) => createCluster(ecs, name));
  const estate = Array.from({ length: services }, (_, i) => ({
    cluster: clusters[i % clusters.length] as string,
    service: `svc-${String(i).padStart(4, '0')}`,
  }));
  await mapConcurrent(estate, 8, async ({ cluster, service }) => {
    const arn = await registerTaskDefinition(
      ecs,
      `side-${service}`,
      [container('web', `${IMAGE}:${FROM_TAG}`), container('envoy', 'envoyproxy/envoy:v1.30.1', { essential: false })],
      {
        tags: [{ key: 'team', value: 'bench' }],
      },
    );
    await createService(ecs, cluster, service, arn, { desiredCount: 0 });
  });
  await sandbox.clearCalls();
  return { services: estate };
}

/** Every service must end on revision 2 of its family: both tools did the whole job. */
async function checkAllMoved(ecs: ECSClient, estate: OwnFamilyEstate, tool: string): Promise<void> {
  const revisions = await mapConcurrent(estate.services, 8, ({ cluster, service }) => serviceTaskDefinition(ecs, cluster, service));
  const unmoved = revisions.filter((arn) => !arn.endsWith(':2')).length;
  if (unmoved > 0) throw new Error(`${tool} left ${unmoved} of ${estate.services.length} services on their old revision`);
}

async function runEcsRoll(endpoint: string, sandbox: SandboxControl): Promise<ToolRun> {
  const run = await timedRun(process.execPath, [CLI, 'rollout', `${IMAGE}:${TO_TAG}`, '--no-wait', '--json', '--endpoint-url', endpoint], {
    env: BENCH_ENV,
    rss: true,
    timeoutMs: 300_000,
  });
  if (run.code !== 0) throw new Error(`ecs-roll rollout exited with ${run.code}:\n${run.stderr.slice(0, 4000)}`);
  return { calls: (await sandbox.calls()).length, ms: run.ms, peakRssKiB: run.maxRssKiB ?? Number.NaN };
}

async function runPerService(endpoint: string, sandbox: SandboxControl, estate: OwnFamilyEstate): Promise<ToolRun> {
  let ms = 0;
  let peakRssKiB = 0;
  for (const { cluster, service } of estate.services) {
    const run = await timedRun(process.execPath, [PER_SERVICE_DEPLOY, endpoint, cluster, service, `${IMAGE}:${TO_TAG}`], {
      env: BENCH_ENV,
      rss: true,
    });
    if (run.code !== 0) throw new Error(`per-service deploy of ${cluster}/${service} exited with ${run.code}:\n${run.stderr.slice(0, 2000)}`);
    ms += run.ms;
    peakRssKiB = Math.max(peakRssKiB, run.maxRssKiB ?? Number.NaN);
  }
  return { calls: (await sandbox.calls()).length, ms, peakRssKiB };
}

/** ListClusters + ListServices and DescribeServices per cluster + per service a describe, a registration and an update. */
function ownFamiliesBound(services: number): number {
  const clusters = Math.ceil(services / SERVICES_PER_CLUSTER);
  return 1 + clusters + clusters * Math.ceil(SERVICES_PER_CLUSTER / 10) + 3 * services;
}

export async function measureSideBySide(
  endpoint: string,
  ecs: ECSClient,
  sandbox: SandboxControl,
  sizes: readonly number[],
): Promise<SideBySideRow[]> {
  const rows: SideBySideRow[] = [];
  for (const services of sizes) {
    progress(`side by side: ${services} services, ecs-roll`);
    const forEcsRoll = await seedOwnFamilies(ecs, sandbox, services);
    const ecsRoll = await runEcsRoll(endpoint, sandbox);
    await checkAllMoved(ecs, forEcsRoll, 'ecs-roll');
    progress(`side by side: ${services} services, per-service deploys (one process each)`);
    const forPerService = await seedOwnFamilies(ecs, sandbox, services);
    const perService = await runPerService(endpoint, sandbox, forPerService);
    await checkAllMoved(ecs, forPerService, 'the per-service deploy');
    rows.push({
      workload: { services, clusters: Math.ceil(services / SERVICES_PER_CLUSTER) },
      ecsRoll,
      perService,
      bound: ownFamiliesBound(services),
    });
  }
  return rows;
}
