// A killed process, swept: for every k from 1 to the number of mutating calls of an uninterrupted
// rollout of 20 services on 4 task definitions, SIGKILL the CLI when the k-th mutating call has taken
// effect (its answer never arrives), run the same rollout again, and compare with the uninterrupted run:
// same revision and images on every service, exactly one new revision per task definition.
import type { ECSClient } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { sandboxControl } from '../sandbox/client.js';
import { startFaultProxy, type FaultProxy } from '../sandbox/fault-proxy.js';
import { fleetProblems, fleetState, KILL_FLEET, median, seedFleet } from '../sandbox/reliability-fleet.js';
import { spawnCli } from '../cli.js';
import { ecsClient } from '../ecs.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
let ecs: ECSClient;
let proxy: FaultProxy;

beforeAll(async () => {
  ecs = ecsClient(endpoint);
  proxy = await startFaultProxy({ target: endpoint, rate: 0, seed: 1 });
});
afterAll(async () => {
  await proxy?.close();
});

const rollout = () => spawnCli(['rollout', 'acme/web:1.1', '--no-wait', '--endpoint-url', proxy.url]);

it('converges after a SIGKILL at every mutating call', async () => {
  await sandbox.reset();
  const cleanFleet = await seedFleet(ecs, KILL_FLEET);
  proxy.reset();
  const clean = await rollout().done;
  expect(clean.code).toBe(0);
  const cleanCalls = proxy.stats().total;
  const mutating = proxy.stats().mutatingForwarded;
  const reference = await fleetState(ecs, cleanFleet);

  const rows: { k: number; converged: boolean; sameRevisions: boolean; problems: string[]; calls: number; ms: number }[] = [];
  for (let k = 1; k <= mutating; k += 1) {
    await sandbox.reset();
    const fleet = await seedFleet(ecs, KILL_FLEET);
    proxy.reset();
    let pid: number | undefined;
    proxy.setCut({ afterMutating: k, onCut: () => pid !== undefined && process.kill(pid, 'SIGKILL') });
    const killed = rollout();
    pid = killed.child.pid;
    const first = await killed.done;
    proxy.setCut(undefined);
    const again = await rollout().done;
    const problems = await fleetProblems(ecs, fleet, '1.1');
    const state = await fleetState(ecs, fleet);
    const sameImages = Object.entries(reference).every(([name, entry]) => JSON.stringify(state[name]?.images) === JSON.stringify(entry.images));
    const row = {
      k,
      converged: first.signal === 'SIGKILL' && again.code === 0 && problems.length === 0 && sameImages,
      sameRevisions: JSON.stringify(state) === JSON.stringify(reference),
      problems,
      calls: proxy.stats().total,
      ms: first.ms + again.ms,
    };
    rows.push(row);
    console.log(JSON.stringify({ ...row, killedBy: first.signal, rerunCode: again.code }));
  }

  const converged = rows.filter((row) => row.converged).length;
  console.log(
    [
      `KILL: ${rows.length} kill points (k = 1..${mutating}), ${converged} converged, ${rows.filter((row) => row.sameRevisions).length} on the very same revision numbers`,
      `calls (killed run + re-run): fault-free ${cleanCalls}, median ${median(rows.map((row) => row.calls))}`,
      `wall (killed run + re-run): fault-free ${clean.ms} ms, median ${median(rows.map((row) => row.ms))} ms`,
    ].join('\n'),
  );
  expect(rows.filter((row) => !row.converged)).toEqual([]);
  expect(rows.filter((row) => !row.sameRevisions)).toEqual([]);
});
