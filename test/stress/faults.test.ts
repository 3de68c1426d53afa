// Faults from AWS, swept: the 100-service rollout (5 clusters, 20 services on acme/web in 10 task
// definitions of 7 families, 80 on other images) through a proxy that faults 20% of calls, over
// 20 seeds. A run that exits non-zero is re-run once without faults, as a user would, and must then
// converge, but it does not count as a success. Prints the figures for test/stress/RESULTS.md.
import type { ECSClient } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { sandboxControl } from '../sandbox/client.js';
import { ALL_FAULT_KINDS, startFaultProxy, type FaultKind, type FaultProxy } from '../sandbox/fault-proxy.js';
import { fleetProblems, LARGE_FLEET, median, seedFleet } from '../sandbox/reliability-fleet.js';
import { spawnCli } from '../cli.js';
import { ecsClient } from '../ecs.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
const SEEDS = Array.from({ length: 20 }, (_, index) => index + 1);
const RATE = 0.2;
let ecs: ECSClient;
let proxy: FaultProxy;

beforeAll(async () => {
  ecs = ecsClient(endpoint);
  proxy = await startFaultProxy({ target: endpoint, rate: 0, seed: 1 });
});
afterAll(async () => {
  await proxy?.close();
});

const rollout = () => spawnCli(['rollout', 'acme/web:1.1', '--no-wait', '--json', '--endpoint-url', proxy.url], { timeoutMs: 600_000 }).done;

async function sweep(label: string, seeds: readonly number[], faultKinds: readonly FaultKind[]) {
  await proxy.close();
  proxy = await startFaultProxy({ target: endpoint, rate: 0, seed: 1, kinds: faultKinds });
  // The fault-free reference: calls and wall time.
  await sandbox.reset();
  const cleanFleet = await seedFleet(ecs, LARGE_FLEET);
  proxy.setRate(0);
  proxy.reset();
  const clean = await rollout();
  expect(clean.code).toBe(0);
  expect(await fleetProblems(ecs, cleanFleet, '1.1')).toEqual([]);
  const cleanCalls = proxy.stats().total;

  const rows: {
    seed: number;
    code: number | null;
    calls: number;
    faulted: number;
    ms: number;
    outcomes: Record<string, number>;
    problems: string[];
    rerun?: number | null;
  }[] = [];
  for (const seed of seeds) {
    await sandbox.reset();
    const fleet = await seedFleet(ecs, LARGE_FLEET);
    proxy.reset(seed);
    proxy.setRate(RATE);
    const run = await rollout();
    const stats = proxy.stats();
    proxy.setRate(0);
    let rerun: number | null | undefined;
    if (run.code !== 0) {
      console.log(`seed ${seed}: exit ${run.code}\n${run.stdout.slice(0, 3000)}\n${run.stderr.slice(0, 3000)}`);
      rerun = (await rollout()).code;
    }
    const problems = await fleetProblems(ecs, fleet, '1.1');
    rows.push({
      seed,
      code: run.code,
      calls: stats.total,
      faulted: stats.faulted,
      ms: run.ms,
      outcomes: stats.byOutcome,
      problems,
      ...(rerun === undefined ? {} : { rerun }),
    });
    console.log(JSON.stringify(rows.at(-1)));
  }

  const successes = rows.filter((row) => row.code === 0 && row.problems.length === 0).length;
  const calls = rows.map((row) => row.calls);
  const times = rows.map((row) => row.ms);
  const faults: Record<string, number> = {};
  for (const row of rows)
    for (const [outcome, count] of Object.entries(row.outcomes)) if (outcome !== 'ok') faults[outcome] = (faults[outcome] ?? 0) + count;
  console.log(
    [
      `FAULTS ${label}, ${RATE * 100}%: ${successes}/${rows.length} succeeded first time; re-runs: ${rows.filter((row) => row.rerun !== undefined).length}`,
      `calls: fault-free ${cleanCalls}, faulted median ${median(calls)} (${(median(calls) / cleanCalls).toFixed(2)}x), max ${Math.max(...calls)}`,
      `wall: fault-free ${clean.ms} ms, faulted median ${median(times)} ms (${(median(times) / clean.ms).toFixed(1)}x), max ${Math.max(...times)} ms`,
      `faults injected: ${JSON.stringify(faults)}`,
    ].join('\n'),
  );
  // Every run ends converged (after its re-run if it needed one), never with a duplicate revision.
  expect(rows.filter((row) => row.problems.length > 0)).toEqual([]);
  expect(rows.filter((row) => row.rerun !== undefined && row.rerun !== 0)).toEqual([]);
}

it(`rolls out through ${RATE * 100}% faulted calls over ${SEEDS.length} seeds`, () => sweep('all kinds', SEEDS, ALL_FAULT_KINDS));

// The same without throttling, to tell the SDK's adaptive back-off apart from the other faults' cost.
it('rolls out through 20% faulted calls without throttling over 5 seeds', () =>
  sweep(
    'no throttling',
    SEEDS.slice(0, 5),
    ALL_FAULT_KINDS.filter((kind) => kind !== 'throttle'),
  ));
