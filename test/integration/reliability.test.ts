// Reliability, the fast part (test/stress/ sweeps the same scenarios over many seeds and every kill
// point): a rollout through a proxy that faults one call in five still converges with exactly one
// new revision per task definition; a CLI killed right after a mutating call, then run again,
// ends where an uninterrupted run ends; Ctrl-C reports what was changed and what was not, exits
// 130 and leaves every service on its old or its new revision, and a second Ctrl-C exits at once.
import type { ECSClient } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { sandboxControl } from '../sandbox/client.js';
import { startSandbox } from '../sandbox/sandbox.js';
import {
  fleetProblems,
  fleetState,
  KILL_FLEET,
  LARGE_FLEET,
  seedFleet,
  spawnCli,
  startFaultProxy,
  type Fleet,
  type FaultProxy,
  type FaultProxyOptions,
} from '../sandbox/fault-proxy.js';
import { ecsClient, serviceTaskDefinition } from './helpers.js';

const endpoint = inject('sandboxEndpoint');
const sandbox = sandboxControl(endpoint);
let ecs: ECSClient;
let proxy: FaultProxy;

const rolloutArgs = (url: string, ...extra: string[]) => ['rollout', 'acme/web:1.1', ...extra, '--endpoint-url', url];

async function withProxy<T>(options: Omit<FaultProxyOptions, 'target'> & { target?: string }, body: (proxy: FaultProxy) => Promise<T>): Promise<T> {
  const own = await startFaultProxy({ target: endpoint, ...options });
  try {
    return await body(own);
  } finally {
    await own.close();
  }
}

async function until(what: string, probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  ecs = ecsClient(endpoint);
  proxy = await startFaultProxy({ target: endpoint, rate: 0, seed: 1 });
});

afterAll(async () => {
  await proxy?.close();
});

beforeEach(async () => {
  await sandbox.reset();
  proxy.setRate(0);
  proxy.setCut(undefined);
  proxy.reset();
});

describe('faults from AWS: one call in five throttled, failed, reset or delayed', () => {
  // Two seeds at once, each against its own sandbox: a faulted run mostly sleeps in the SDK's backoff.
  it('seeds 5 and 7: every acme/web service moves, nothing else does, one new revision per task definition', async () => {
    const second = await startSandbox();
    try {
      const results = await Promise.all(
        [
          { seed: 5, target: endpoint },
          { seed: 7, target: second.endpoint },
        ].map(async ({ seed, target }) => {
          const client = ecsClient(target);
          await sandboxControl(target).reset();
          const fleet = await seedFleet(client, LARGE_FLEET);
          return withProxy({ target, rate: 0.2, seed }, async (faulty) => {
            const run = await spawnCli(rolloutArgs(faulty.url, '--no-wait', '--json')).done;
            return { seed, run, stats: faulty.stats(), problems: await fleetProblems(client, fleet, '1.1') };
          });
        }),
      );
      // Answers lost after the call took effect are the ones that make duplicates.
      expect(results.reduce((sum, { stats }) => sum + (stats.byOutcome['reset-after'] ?? 0), 0)).toBeGreaterThan(0);
      for (const { seed, run, stats, problems } of results) {
        expect(stats.faulted, `seed ${seed}`).toBeGreaterThan(10);
        expect(run.stderr, `seed ${seed}`).toBe('');
        expect(run.code, `seed ${seed}: ${run.stdout.slice(0, 2000)}`).toBe(0);
        expect(problems, `seed ${seed}`).toEqual([]);
      }
    } finally {
      await second.stop();
    }
  });

  it('a registration whose answer is lost, beside another registration of the same family, is not registered twice', async () => {
    const fleet = await seedFleet(ecs, { ...LARGE_FLEET, webServices: 4, webFamilies: 1, twoRevisionFamilies: 1, otherServices: 0, otherFamilies: 0 });
    // Both revisions of web-0 are copied at once; the first copy's answer is lost after ECS took it.
    let registrations = 0;
    await withProxy(
      { rate: 0, seed: 1, decide: (action) => (action === 'RegisterTaskDefinition' && ++registrations === 1 ? 'reset-after' : undefined) },
      async (faulty) => {
        const run = await spawnCli(rolloutArgs(faulty.url, '--no-wait')).done;
        expect(run.code, run.stdout + run.stderr).toBe(0);
      },
    );
    expect(await fleetProblems(ecs, fleet, '1.1')).toEqual([]);
  });
});
