// How often `rollout` polls while it waits, and how many services each DescribeServices asks about: checked
// against the sandbox's call log with the scheduler paused between poll rounds.
import type { CreateServiceCommandInput } from '@aws-sdk/client-ecs';
import { describe, expect } from 'vitest';
import type { SandboxCall } from '../sandbox/client.js';
import { it } from './fixtures.js';
import { container, createCluster, createService, registerTaskDefinition } from './helpers.js';
import { callsAfterLast, ecs, parseResult, rollout, sandbox, steady, waitFor } from './waiting-world.js';

it.override({ sandboxConfig: { tick: 0.1 } });

describe('polling', () => {
  it('polls every --poll-interval with one DescribeServices per ten pending services', async () => {
    const CLUSTER = 'many';
    await createCluster(ecs, CLUSTER);
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    // Three groups that need 2, 3 and 4 scheduler ticks to complete a deployment, so the
    // number of pending services shrinks round by round: 23, 23, 15, 6.
    const groups: { size: number; config: Partial<CreateServiceCommandInput> }[] = [
      { size: 8, config: { desiredCount: 1 } },
      { size: 9, config: { desiredCount: 2, deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 100 } } },
      { size: 6, config: { desiredCount: 3, deploymentConfiguration: { minimumHealthyPercent: 66, maximumPercent: 100 } } },
    ];
    const names: string[] = [];
    for (const [index, group] of groups.entries()) {
      for (let i = 0; i < group.size; i += 1) {
        const name = `svc-${index}-${i}`;
        names.push(name);
        await createService(ecs, CLUSTER, name, source, group.config);
      }
    }
    expect(names).toHaveLength(23);
    for (const name of names) await steady(CLUSTER, name);
    // From here the scheduler only ticks when this test says so, between poll rounds.
    await sandbox.config({ paused: true });
    await sandbox.clearCalls();

    const running = rollout(['acme/web:1.1', '--json', '--timeout', '30'], '1');
    try {
      const describesAfterUpdates = async (count: number) =>
        waitFor(`${count} DescribeServices after the updates`, async () => {
          const calls = await sandbox.calls();
          if (calls.filter((call) => call.action === 'UpdateService').length < names.length) return undefined;
          const after = callsAfterLast(calls, 'UpdateService').filter((call) => call.action === 'DescribeServices');
          return after.length >= count ? true : undefined;
        });
      await describesAfterUpdates(3); // round 1 saw nothing move
      await sandbox.tick();
      await sandbox.tick(); // the first group completes
      await describesAfterUpdates(6); // round 2
      await sandbox.tick(); // the second group completes
      await describesAfterUpdates(8); // round 3
      await sandbox.tick(); // the third group completes
    } finally {
      await sandbox.config({ paused: false });
    }
    const run = await running;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = parseResult(run);
    expect(result.services.map((service) => service.outcome)).toEqual(Array(23).fill('completed'));

    const calls = await sandbox.calls();
    const firstRegistration = calls.findIndex((call) => call.action === 'RegisterTaskDefinition');
    expect(firstRegistration).toBeGreaterThan(0);
    const discovery = calls.slice(0, firstRegistration);
    expect(discovery.filter((call) => call.action === 'DescribeServices')).toHaveLength(Math.ceil(23 / 10));
    expect(discovery.filter((call) => call.action === 'ListServices')).toHaveLength(1);

    const updates = calls.filter((call) => call.action === 'UpdateService');
    expect(updates).toHaveLength(23);
    const lastUpdate = updates.at(-1)?.t ?? 0;
    const polls = callsAfterLast(calls, 'UpdateService').filter((call) => call.action === 'DescribeServices');
    expect(polls.every((call) => call.cluster?.endsWith(CLUSTER))).toBe(true);

    // Group the polls into rounds by the gaps between them.
    const rounds: SandboxCall[][] = [];
    for (const call of polls) {
      const current = rounds.at(-1);
      const previous = current?.at(-1);
      if (current !== undefined && previous !== undefined && call.t - previous.t < 0.5) current.push(call);
      else rounds.push([call]);
    }
    expect(rounds.map((round) => round.length)).toEqual([3, 3, 2, 1]);
    const starts = rounds.map((round) => round[0]?.t ?? 0);
    expect(starts[0]! - lastUpdate).toBeGreaterThanOrEqual(0.95);
    for (let k = 1; k < starts.length; k += 1) expect(starts[k]! - starts[k - 1]!, `round ${k + 1}`).toBeGreaterThanOrEqual(0.95);

    // And from the scheduler's record: each round described exactly the services that earlier rounds
    // had not yet seen completed, ten to a call.
    const target = result.registrations[0]?.to;
    const record = await sandbox.record();
    const completedAt = new Map<string, number>();
    for (const row of record) {
      if (
        row.cluster === CLUSTER &&
        row.primaryTaskDefinition === target &&
        row.primaryRolloutState === 'COMPLETED' &&
        !completedAt.has(row.service)
      ) {
        completedAt.set(row.service, row.t);
      }
    }
    expect(completedAt.size).toBe(23);
    rounds.forEach((round, k) => {
      const seenDone = k === 0 ? 0 : names.filter((name) => (completedAt.get(name) ?? Infinity) < starts[k - 1]!).length;
      expect(round.length, `round ${k + 1}`).toBe(Math.ceil((23 - seenDone) / 10));
    });
  });
});
