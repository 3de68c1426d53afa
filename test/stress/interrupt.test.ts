// Ctrl-C, swept: SIGINT at varied moments of a 20-service rollout (during the wait on a paused
// scheduler; during slowed-down updates; twice during slowed-down updates), checking each time the
// exit code, that the report names every service as interrupted or not changed, that each service
// is on its old or its new revision as reported, and how long the CLI took to exit.
import type { ECSClient } from '@aws-sdk/client-ecs';
import { beforeAll, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { sandboxControl } from '../sandbox/client.js';
import { seededRandom, startFaultProxy } from '../sandbox/fault-proxy.js';
import { KILL_FLEET, median, seedFleet } from '../sandbox/reliability-fleet.js';
import { spawnCli } from '../cli.js';
import { ecsClient, serviceTaskDefinition } from '../ecs.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
const TRIALS = 10;
let ecs: ECSClient;

beforeAll(() => {
  ecs = ecsClient(endpoint);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const reported = (stdout: string, label: string) =>
  new Set([...stdout.matchAll(new RegExp(`^  ${label} (\\S+?):`, 'gm'))].map((match) => match[1] ?? ''));

type Mode = 'while waiting' | 'while updating' | 'twice while updating';

async function trial(mode: Mode, random: () => number) {
  await sandbox.reset();
  const fleet = await seedFleet(ecs, KILL_FLEET);
  await sandbox.config({ paused: true });
  const signals = mode === 'twice while updating' ? 2 : 1;
  let pid: number | undefined;
  const sentAt: number[] = [];
  let armed = mode !== 'while waiting';
  const offset = Math.floor(random() * 800);
  const gap = 100 + Math.floor(random() * 400);
  const delayMs = mode === 'while waiting' ? 0 : 1_500;
  const proxy = await startFaultProxy({
    target: endpoint,
    rate: 0,
    seed: 1,
    delayMs: [delayMs, delayMs],
    decide: (action) => {
      if (action !== 'UpdateService' || mode === 'while waiting') return 'ok';
      if (armed) {
        armed = false;
        for (let index = 0; index < signals; index += 1) {
          setTimeout(
            () => {
              sentAt.push(Date.now());
              if (pid !== undefined) process.kill(pid, 'SIGINT');
            },
            offset + gap * index,
          );
        }
      }
      return 'delay';
    },
  });
  try {
    const cli = spawnCli(['rollout', 'acme/web:1.1', '--poll-interval', '0.3', '--endpoint-url', proxy.url]);
    pid = cli.child.pid;
    if (mode === 'while waiting') {
      let stdout = '';
      cli.child.stdout?.on('data', (text: string) => (stdout += text));
      while (!stdout.includes('Waiting for deployments')) await sleep(20);
      await sleep(offset);
      sentAt.push(Date.now());
      cli.child.kill('SIGINT');
    }
    const run = await cli.done;
    const exitMs = Date.now() - (sentAt.at(-1) ?? Date.now());
    await sleep(delayMs + 300); // calls still in flight at the proxy land
    const interrupted = reported(run.stdout, 'interrupted');
    const notStarted = reported(run.stdout, 'not changed');
    const wrong: string[] = [];
    for (const service of fleet.services) {
      const name = `${service.cluster}/${service.service}`;
      const now = await serviceTaskDefinition(ecs, service.cluster, service.service);
      const moved = now !== service.source;
      if (interrupted.has(name) && !moved) wrong.push(`${name}: reported interrupted but not moved`);
      if (notStarted.has(name) && moved && signals === 1) wrong.push(`${name}: reported not changed but moved`);
      if (!interrupted.has(name) && !notStarted.has(name) && signals === 1) wrong.push(`${name}: not in the report`);
      if (moved && now.split('/').pop()?.split(':')[0] !== service.source.split('/').pop()?.split(':')[0]) wrong.push(`${name}: on ${now}`);
    }
    return { mode, code: run.code, exitMs, interrupted: interrupted.size, notStarted: notStarted.size, wrong };
  } finally {
    await proxy.close();
  }
}

it(`Ctrl-C at ${TRIALS} moments each: while waiting, while updating, twice`, async () => {
  const random = seededRandom(42);
  const rows: Awaited<ReturnType<typeof trial>>[] = [];
  for (const mode of ['while waiting', 'while updating', 'twice while updating'] as const) {
    for (let index = 0; index < TRIALS; index += 1) {
      rows.push(await trial(mode, random));
      console.log(JSON.stringify(rows.at(-1)));
    }
  }
  const lines = (['while waiting', 'while updating', 'twice while updating'] as const).map((mode) => {
    const mine = rows.filter((row) => row.mode === mode);
    const good = mine.filter((row) => row.code === 130 && row.wrong.length === 0 && (mode !== 'twice while updating' ? true : row.exitMs < 1_000));
    return `SIGINT ${mode}: ${good.length}/${mine.length} ok; exit after the last SIGINT median ${median(mine.map((row) => row.exitMs))} ms, max ${Math.max(...mine.map((row) => row.exitMs))} ms; reported interrupted/not changed median ${median(mine.map((row) => row.interrupted))}/${median(mine.map((row) => row.notStarted))}`;
  });
  console.log(lines.join('\n'));
  expect(rows.filter((row) => row.code !== 130 || row.wrong.length > 0)).toEqual([]);
  expect(rows.filter((row) => row.mode === 'twice while updating' && row.exitMs >= 1_000)).toEqual([]);
});
