// Reliability, the fast part (test/stress/ sweeps the same scenarios over many seeds and every kill
// point): a rollout through a proxy that faults one call in five still converges with exactly one
// new revision per task definition; a CLI killed right after a mutating call, then run again,
// ends where an uninterrupted run ends; Ctrl-C reports what was changed and what was not, exits
// 130 and leaves every service on its old or its new revision, and a second Ctrl-C exits at once.
import { afterAll, beforeAll, beforeEach, describe, expect } from 'vitest';
import { it, sandboxFile } from './fixtures.js';
import { sandboxControl } from '../sandbox/client.js';
import { startSandbox } from '../sandbox/sandbox.js';
import { startFaultProxy, type FaultProxy, type FaultProxyOptions } from '../sandbox/fault-proxy.js';
import { familyRevisions, fleetProblems, fleetState, KILL_FLEET, LARGE_FLEET, seedFleet, type Fleet } from '../sandbox/reliability-fleet.js';
import { spawnCli } from '../cli.js';
import { until } from '../eventually.js';
import { ecsClient, serviceTaskDefinition } from './helpers.js';

const { endpoint, sandbox, ecs } = sandboxFile();
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

beforeAll(async () => {
  proxy = await startFaultProxy({ target: endpoint, rate: 0, seed: 1 });
});

afterAll(async () => {
  await proxy?.close();
});

beforeEach(async () => {
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
    const fleet = await seedFleet(ecs, {
      ...LARGE_FLEET,
      webServices: 4,
      webFamilies: 1,
      twoRevisionFamilies: 1,
      otherServices: 0,
      otherFamilies: 0,
    });
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

describe('a killed process, run again', () => {
  let reference: Awaited<ReturnType<typeof fleetState>>;
  let mutatingCalls = 0;

  beforeAll(async () => {
    await sandbox.reset();
    const fleet = await seedFleet(ecs, KILL_FLEET);
    proxy.reset();
    const run = await spawnCli(rolloutArgs(proxy.url, '--no-wait')).done;
    expect(run.code).toBe(0);
    mutatingCalls = proxy.stats().mutatingForwarded;
    reference = await fleetState(ecs, fleet);
    expect(await fleetProblems(ecs, fleet, '1.1')).toEqual([]);
  });

  it('makes 4 registrations and 20 updates uninterrupted', () => {
    expect(mutatingCalls).toBe(24);
  });

  it.each(['first', 'middle', 'last'])('killed after the %s mutating call, the next run converges with no duplicate revision', async (which) => {
    const k = which === 'first' ? 1 : which === 'middle' ? Math.ceil(mutatingCalls / 2) : mutatingCalls;
    const fleet = await seedFleet(ecs, KILL_FLEET);
    let pid: number | undefined;
    proxy.setCut({ afterMutating: k, onCut: () => pid !== undefined && process.kill(pid, 'SIGKILL') });
    const killed = spawnCli(rolloutArgs(proxy.url, '--no-wait'));
    pid = killed.child.pid;
    const first = await killed.done;
    expect(first.signal).toBe('SIGKILL');
    expect(proxy.stats().mutatingForwarded).toBeGreaterThanOrEqual(k);

    proxy.setCut(undefined);
    const again = await spawnCli(rolloutArgs(proxy.url, '--no-wait')).done;
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(await fleetProblems(ecs, fleet, '1.1')).toEqual([]);
    expect(await fleetState(ecs, fleet)).toEqual(reference);
  });
  // The copy of the older revision sits behind the newer one's copy: the re-run looks below the newest.
  it('killed after registering copies of both revisions of one family, the re-run reuses both', async () => {
    const fleet = await seedFleet(ecs, { ...KILL_FLEET, webServices: 2, webFamilies: 1, twoRevisionFamilies: 1 });
    let pid: number | undefined;
    proxy.setCut({ afterMutating: 2, onCut: () => pid !== undefined && process.kill(pid, 'SIGKILL') });
    const killed = spawnCli(rolloutArgs(proxy.url, '--no-wait'));
    pid = killed.child.pid;
    expect((await killed.done).signal).toBe('SIGKILL');
    proxy.setCut(undefined);
    expect((await spawnCli(rolloutArgs(proxy.url, '--no-wait')).done).code).toBe(0);
    expect(await fleetProblems(ecs, fleet, '1.1')).toEqual([]);
  });
});

describe('Ctrl-C', () => {
  /** Each service's outcome as the human report prints it: `  interrupted c0/web-svc-3: …`, `  not changed c1/…`. */
  const reported = (stdout: string, label: string) =>
    new Set([...stdout.matchAll(new RegExp(`^  ${label} (\\S+?):`, 'gm'))].map((match) => match[1] ?? ''));

  async function revisions(fleet: Fleet): Promise<Map<string, { source: string; now: string }>> {
    const entries = await Promise.all(
      fleet.services.map(
        async (service) =>
          [
            `${service.cluster}/${service.service}`,
            { source: service.source, now: await serviceTaskDefinition(ecs, service.cluster, service.service) },
          ] as const,
      ),
    );
    return new Map(entries);
  }

  /** Slows every UpdateService down and sends SIGINT (once or twice) when the first one arrives. */
  async function interruptDuringUpdates(fleet: Fleet, signals: number, delayMs: number) {
    let pid: number | undefined;
    const sentAt: number[] = [];
    let armed = true;
    const decide = (action: string) => {
      if (action !== 'UpdateService') return 'ok' as const;
      if (armed) {
        armed = false;
        for (let index = 0; index < signals; index += 1) {
          setTimeout(
            () => {
              sentAt.push(Date.now());
              // The CLI may have exited after the first signal already.
              if (pid !== undefined) {
                try {
                  process.kill(pid, 'SIGINT');
                } catch {}
              }
            },
            150 + 300 * index,
          );
        }
      }
      return 'delay' as const;
    };
    return withProxy({ rate: 0, seed: 1, decide, delayMs: [delayMs, delayMs] }, async (slow) => {
      const cli = spawnCli(rolloutArgs(slow.url, '--poll-interval', '0.3'));
      pid = cli.child.pid;
      const run = await cli.done;
      const exitedAt = Date.now();
      // Calls the CLI had in flight still reach ECS after the proxy's delay; let them land.
      await new Promise((resolve) => setTimeout(resolve, delayMs + 300));
      return { run, exitedAt, sentAt, states: await revisions(fleet) };
    });
  }

  it('while waiting: stops at once, reports every service as interrupted, exits 130, starts no rollback', async () => {
    const fleet = await seedFleet(ecs, KILL_FLEET);
    await sandbox.config({ paused: true }); // no deployment ever finishes
    const cli = spawnCli(rolloutArgs(endpoint, '--poll-interval', '0.3'));
    let stdout = '';
    cli.child.stdout?.on('data', (text: string) => (stdout += text));
    await until('the wait started', () => stdout.includes('Waiting for deployments'), { ms: 30_000, every: 20 });
    await new Promise((resolve) => setTimeout(resolve, 700)); // a poll or two
    const sentAt = Date.now();
    cli.child.kill('SIGINT');
    const run = await cli.done;
    expect(Date.now() - sentAt).toBeLessThan(3_000);
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('interrupted');
    const names = fleet.services.map((service) => `${service.cluster}/${service.service}`);
    expect(reported(run.stdout, 'interrupted')).toEqual(new Set(names));
    expect(run.stdout).toMatch(/Rollout failed: 20 interrupted/);
    // Every service was updated before the wait, so each is on its new revision; no rollback was started.
    expect(await fleetProblems(ecs, fleet, '1.1')).toEqual([]);
    expect((await sandbox.calls()).filter((call) => call.action === 'UpdateService')).toHaveLength(20);
  });

  it('while updating: updates no further service, reports updated and not-started ones apart, each service old or new', async () => {
    const fleet = await seedFleet(ecs, KILL_FLEET);
    await sandbox.config({ paused: true });
    const { run, states } = await interruptDuringUpdates(fleet, 1, 1_000);
    expect(run.code, run.stdout + run.stderr).toBe(130);
    const interrupted = reported(run.stdout, 'interrupted');
    const notStarted = reported(run.stdout, 'not changed');
    expect(notStarted.size).toBeGreaterThan(0);
    expect(interrupted.size).toBeGreaterThan(0);
    expect(interrupted.size + notStarted.size).toBe(20);
    expect(run.stdout).toContain(`Rollout failed: ${interrupted.size} interrupted, ${notStarted.size} not changed`);
    const newRevisions = new Set<string>();
    for (const [name, { source, now }] of states) {
      if (notStarted.has(name)) expect(now, name).toBe(source);
      else {
        expect(now, name).not.toBe(source);
        newRevisions.add(now);
      }
    }
    expect(newRevisions.size).toBeLessThanOrEqual(4);
  });

  it('during discovery: stops the reads in flight, registers no revision, says nothing was changed, exits 130', async () => {
    const fleet = await seedFleet(ecs, KILL_FLEET);
    let pid: number | undefined;
    let armed = true;
    // Discovery's DescribeTaskDefinition calls are slowed; Ctrl-C comes while they are in flight.
    const decide = (action: string) => {
      if (action !== 'DescribeTaskDefinition' || !armed) return 'ok' as const;
      armed = false;
      setTimeout(() => pid !== undefined && process.kill(pid, 'SIGINT'), 100);
      return 'delay' as const;
    };
    await withProxy({ rate: 0, seed: 1, decide, delayMs: [800, 800] }, async (slow) => {
      const cli = spawnCli(rolloutArgs(slow.url, '--poll-interval', '0.3'));
      pid = cli.child.pid;
      const run = await cli.done;
      expect(run.code, run.stdout + run.stderr).toBe(130);
      // Ctrl-C stops reads in flight at once (no call may hold the run), so discovery never finishes: there is no
      // list of services to report, only that nothing was changed.
      expect(run.stderr).toContain('interrupted before the rollout was carried out');
      expect(reported(run.stdout, 'interrupted').size).toBe(0);
    });
    for (const [family, before] of fleet.revisionsBefore) expect((await familyRevisions(ecs, family)).length, family).toBe(before);
    expect((await sandbox.calls()).filter((call) => call.action === 'UpdateService')).toHaveLength(0);
  });

  it('a second Ctrl-C exits within a second with 130, each service left old or new', async () => {
    const fleet = await seedFleet(ecs, KILL_FLEET);
    await sandbox.config({ paused: true });
    const { run, exitedAt, sentAt, states } = await interruptDuringUpdates(fleet, 2, 2_500);
    expect(sentAt).toHaveLength(2);
    expect(run.code).toBe(130);
    expect(exitedAt - (sentAt[1] ?? 0)).toBeLessThan(1_000);
    const sources = new Map(fleet.services.map((service) => [service.source, service.source]));
    const fresh = new Set([...states.values()].filter(({ source, now }) => now !== source).map(({ now }) => now));
    // Each service is either on its source or on one of at most four new revisions, one per family.
    expect(fresh.size).toBeLessThanOrEqual(4);
    for (const { source, now } of states.values()) {
      expect(now === source || (fresh.has(now) && now.split('/').pop()?.split(':')[0] === source.split('/').pop()?.split(':')[0])).toBe(true);
    }
    expect(sources.size).toBe(4);
  });
});
