// 1. API calls of a rollout against the lower bound; 2. its wall time against one-service-at-a-time.
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { ecsClient } from '../test/integration/helpers.js';
import type { SandboxControl } from '../test/sandbox/client.js';
import { BENCH_ENV, CLI, median, progress, timedRun, type Timed } from './lib.js';
import { IMAGE, lowerBound, seed, TO_TAG, type Bound, type Seeded, type Workload } from './workload.js';
import { READ_ONLY_TASK_DEFINITION_FIELDS } from '../src/core/task-definition.js';

export const CALL_WORKLOADS: readonly Workload[] = [1, 10, 100, 1000].flatMap((services) =>
  [1, 5, 20].filter((clusters) => clusters <= services).map((clusters) => ({ services, clusters })),
);

/** `ecs-roll rollout acme/web:1.1 --no-wait --json` as a user runs it; checks it moved exactly the matching services. */
export async function cliRollout(endpoint: string, seeded: Seeded, rss = false): Promise<Timed> {
  const run = await timedRun(process.execPath, [CLI, 'rollout', `${IMAGE}:${TO_TAG}`, '--no-wait', '--json', '--endpoint-url', endpoint], {
    env: BENCH_ENV,
    rss,
    timeoutMs: 300_000,
  });
  if (run.code !== 0) throw new Error(`ecs-roll rollout exited with ${run.code}:\n${run.stderr.slice(0, 4000)}`);
  const result = JSON.parse(run.stdout) as { ok: boolean; services: { outcome: string }[]; registrations: unknown[] };
  const updated = result.services.filter((service) => service.outcome === 'updated').length;
  if (!result.ok || updated !== seeded.matchingServices || result.registrations.length !== seeded.matchingTaskDefinitions) {
    throw new Error(
      `rollout did not do the expected work: ok=${result.ok}, updated ${updated}/${seeded.matchingServices}, ` +
        `registered ${result.registrations.length}/${seeded.matchingTaskDefinitions}`,
    );
  }
  return run;
}

const ACTIONS = ['ListClusters', 'ListServices', 'DescribeServices', 'DescribeTaskDefinition', 'RegisterTaskDefinition', 'UpdateService'] as const;

export interface CallCase {
  readonly workload: Workload;
  readonly matchingServices: number;
  readonly taskDefinitions: number;
  readonly registrations: number;
  readonly bound: Bound;
  readonly measured: Record<string, number>;
  readonly total: number;
}

export async function measureCalls(endpoint: string, ecs: ECSClient, sandbox: SandboxControl): Promise<CallCase[]> {
  const cases: CallCase[] = [];
  for (const workload of CALL_WORKLOADS) {
    progress(`API calls: ${workload.services} services in ${workload.clusters} clusters`);
    const seeded = await seed(ecs, sandbox, workload);
    await cliRollout(endpoint, seeded);
    const calls = await sandbox.calls();
    const measured: Record<string, number> = {};
    for (const call of calls) measured[call.action] = (measured[call.action] ?? 0) + 1;
    const bound = lowerBound(seeded);
    cases.push({
      workload,
      matchingServices: seeded.matchingServices,
      taskDefinitions: seeded.taskDefinitions,
      registrations: seeded.matchingTaskDefinitions,
      bound,
      measured,
      total: calls.length,
    });
  }
  return cases;
}

/** Per action, "measured/bound" where they differ; the calls the bound does not name are listed too. */
export function callBreakdown(entry: CallCase): string {
  const parts: string[] = [];
  for (const action of ACTIONS) {
    const measured = entry.measured[action] ?? 0;
    if (measured !== entry.bound[action]) parts.push(`${action} ${measured} vs ${entry.bound[action]}`);
  }
  for (const [action, count] of Object.entries(entry.measured)) {
    if (!(ACTIONS as readonly string[]).includes(action)) parts.push(`${action} ${count} (not in the bound)`);
  }
  return parts.length === 0 ? 'at the bound' : parts.join('; ');
}

function repositoryOf(image: string): string {
  const at = image.indexOf('@');
  const withoutDigest = at === -1 ? image : image.slice(0, at);
  const colon = withoutDigest.lastIndexOf(':');
  return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest;
}

/**
 * What single-service deploy tools do, run once per service in sequence: describe the service, describe its
 * task definition, and when a container runs the image, register a copy with the new tag and update the service.
 * It is handed the service names, so it pays for no listing at all.
 */
export async function sequentialBaseline(ecs: ECSClient, services: Seeded['services']): Promise<{ ms: number; calls: number; updated: number }> {
  const started = performance.now();
  let calls = 0;
  let updated = 0;
  for (const { cluster, service } of services) {
    const described = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
    calls += 1;
    const current = described.services?.[0]?.taskDefinition;
    if (current === undefined) throw new Error(`baseline: ${cluster}/${service} not found`);
    const answer = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: current, include: ['TAGS'] }));
    calls += 1;
    const definition = { ...answer.taskDefinition } as Record<string, unknown>;
    const containers = (answer.taskDefinition?.containerDefinitions ?? []).map((entry) => ({ ...entry }));
    let changed = false;
    for (const entry of containers) {
      if (entry.image !== undefined && repositoryOf(entry.image) === IMAGE) {
        entry.image = `${IMAGE}:${TO_TAG}`;
        changed = true;
      }
    }
    if (!changed) continue;
    for (const field of READ_ONLY_TASK_DEFINITION_FIELDS) delete definition[field];
    const input = {
      ...definition,
      containerDefinitions: containers,
      ...(answer.tags !== undefined && answer.tags.length > 0 ? { tags: answer.tags } : {}),
    } as RegisterTaskDefinitionCommandInput;
    const registered = await ecs.send(new RegisterTaskDefinitionCommand(input));
    calls += 1;
    await ecs.send(new UpdateServiceCommand({ cluster, service, taskDefinition: registered.taskDefinition?.taskDefinitionArn }));
    calls += 1;
    updated += 1;
  }
  return { ms: performance.now() - started, calls, updated };
}

export interface WallTime {
  readonly workload: Workload;
  /** Added to every ECS call by the latency proxy; 0 when the calls went straight to the sandbox. */
  readonly latencyMs: number;
  readonly cliMs: readonly number[];
  readonly cliCalls: readonly number[];
  readonly cliRssKiB: readonly number[];
  readonly baselineMs: readonly number[];
  readonly baselineCalls: number;
  /** Median over the pairs of baseline / ecs-roll, each pair measured back to back. */
  readonly speedup: number;
}

/**
 * Rollout wall time of ecs-roll against the sequential baseline over the same estate, reseeded before each side.
 * `apiEndpoint` is where both send their ECS calls: the sandbox itself, or a latency proxy in front of it.
 */
export async function measureWallTime(
  apiEndpoint: string,
  ecs: ECSClient,
  sandbox: SandboxControl,
  workload: Workload,
  rounds: number,
  latencyMs = 0,
): Promise<WallTime> {
  const label = latencyMs > 0 ? ` (+${latencyMs} ms per call)` : '';
  const baselineClient = ecsClient(apiEndpoint);
  const cliMs: number[] = [];
  const cliCalls: number[] = [];
  const cliRssKiB: number[] = [];
  const baselineMs: number[] = [];
  const pairRatios: number[] = [];
  let baselineCalls = 0;
  for (let round = 0; round < rounds; round += 1) {
    // The order alternates, so drift on a shared machine does not favour one side.
    const order = round % 2 === 0 ? (['cli', 'baseline'] as const) : (['baseline', 'cli'] as const);
    let pairCli = 0;
    let pairBaseline = 0;
    for (const side of order) {
      progress(`wall time${label}: ${side}, round ${round + 1}/${rounds} (reseeding ${workload.services} services)`);
      const seeded = await seed(ecs, sandbox, workload);
      if (side === 'cli') {
        const run = await cliRollout(apiEndpoint, seeded, true);
        pairCli = run.ms;
        cliMs.push(run.ms);
        cliCalls.push((await sandbox.calls()).length);
        if (run.maxRssKiB !== undefined) cliRssKiB.push(run.maxRssKiB);
      } else {
        const run = await sequentialBaseline(baselineClient, seeded.services);
        if (run.updated !== seeded.matchingServices) throw new Error(`baseline updated ${run.updated}/${seeded.matchingServices}`);
        pairBaseline = run.ms;
        baselineMs.push(run.ms);
        baselineCalls = run.calls;
      }
    }
    pairRatios.push(pairBaseline / pairCli);
  }
  baselineClient.destroy();
  return { workload, latencyMs, cliMs, cliCalls, cliRssKiB, baselineMs, baselineCalls, speedup: median(pairRatios) };
}
