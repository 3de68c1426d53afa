import { describe, expect, it } from 'vitest';
import type { RolloutEvent } from '../../src/core/events.js';
import type { PlannedRun } from '../../src/core/run-before.js';
import type { RunTaskState } from '../../src/core/run-diagnosis.js';
import { rolloutId, runStepsBefore } from '../../src/core/run-step.js';
import { FakeClock, fakeTaskRunner } from '../fakes.js';

const SOURCE = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1';
const NEW = new Map([[SOURCE, 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:2']]);

function aRun(step: number, command: string[], extra: Partial<PlannedRun> = {}): PlannedRun {
  return {
    step,
    spec: `service=web,container=app,command=${command.join(' ')}`,
    cluster: 'prod',
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
    service: 'web',
    container: 'app',
    command,
    family: 'web',
    registration: SOURCE,
    launch: { launchType: 'FARGATE' },
    essentialContainers: ['app'],
    logs: [{ container: 'app', group: '/ecs/web', streamPrefix: 'web' }],
    ...extra,
  };
}

async function run(runs: PlannedRun[], ecs: ReturnType<typeof fakeTaskRunner>, options: { timeoutMs?: number; signal?: AbortSignal } = {}) {
  const events: RolloutEvent[] = [];
  const result = await runStepsBefore(
    runs,
    'acme/web:2',
    NEW,
    { tasks: ecs.port, clock: new FakeClock(), emit: (event) => events.push(event) },
    {
      timeoutMs: options.timeoutMs ?? 60_000,
      pollIntervalMs: 1000,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    },
  );
  return { ...result, events };
}

describe('running the run-before steps', () => {
  it('runs the steps in order and stops at the first that exits non-zero', async () => {
    const ecs = fakeTaskRunner();
    const { ok, outcomes } = await run([aRun(1, ['a']), aRun(2, ['b', 'exit=3']), aRun(3, ['c'])], ecs);
    expect(ok).toBe(false);
    expect(ecs.started.map((request) => request.command)).toEqual([['a'], ['b', 'exit=3']]);
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['succeeded', 'failed', 'not-started']);
    expect(outcomes[1]).toMatchObject({
      exitCodes: { app: 3 },
      diagnosis: { stopCode: 'EssentialContainerExited', logTail: ['last line'], cause: 'container-exit' },
    });
    expect(outcomes[1]?.diagnosis?.logStream).toBe('/ecs/web/web/app/2');
  });

  it('starts the task from the new revision with startedBy, the rollout tags and an idempotency token', async () => {
    const ecs = fakeTaskRunner();
    await run([aRun(1, ['migrate'])], ecs);
    const [request] = ecs.started;
    expect(request).toMatchObject({
      taskDefinitionArn: NEW.get(SOURCE),
      container: 'app',
      command: ['migrate'],
      startedBy: 'ecs-roll',
      launch: { launchType: 'FARGATE' },
    });
    expect(request?.tags).toEqual([
      { key: 'ecs-roll:rollout-id', value: rolloutId('acme/web:2', NEW.values()) },
      { key: 'ecs-roll:run-step', value: expect.stringMatching(/^1-[0-9a-f]{12}$/) },
    ]);
    expect(request?.clientToken.length).toBeLessThanOrEqual(64);
  });

  it('waits for a task an earlier run started instead of starting another', async () => {
    const first = fakeTaskRunner({ polls: 100 });
    await run([aRun(1, ['migrate'])], first, { timeoutMs: 1 });
    const leftRunning: RunTaskState = {
      taskArn: 'arn:task/prod/earlier',
      lastStatus: 'RUNNING',
      containers: [{ name: 'app' }],
      tags: first.started[0]?.tags ?? [],
    };
    const ecs = fakeTaskRunner({ earlier: [leftRunning] });
    const { ok, outcomes, events } = await run([aRun(1, ['migrate'])], ecs);
    expect(ok).toBe(true);
    expect(ecs.started).toEqual([]);
    expect(outcomes[0]?.taskArn).toBe('arn:task/prod/earlier');
    expect(events).toContainEqual(expect.objectContaining({ type: 'run-started', adopted: true }));
  });

  it('does not run again a step that already exited 0 for the same rollout, but does run one that failed', async () => {
    const tagsOf = async () => {
      const probe = fakeTaskRunner();
      await run([aRun(1, ['migrate'])], probe);
      return probe.started[0]?.tags ?? [];
    };
    const tags = await tagsOf();
    const done: RunTaskState = { taskArn: 'arn:task/prod/done', lastStatus: 'STOPPED', containers: [{ name: 'app', exitCode: 0 }], tags };
    const again = fakeTaskRunner({ earlier: [done] });
    expect((await run([aRun(1, ['migrate'])], again)).outcomes[0]?.outcome).toBe('already-succeeded');
    expect(again.started).toEqual([]);

    const failed: RunTaskState = { ...done, taskArn: 'arn:task/prod/failed', containers: [{ name: 'app', exitCode: 1 }] };
    const retry = fakeTaskRunner({ earlier: [failed] });
    expect((await run([aRun(1, ['migrate'])], retry)).outcomes[0]?.outcome).toBe('succeeded');
    expect(retry.started).toHaveLength(1);
  });

  it('reports RunTask failures as failed-to-start, with ECS reason', async () => {
    const { outcomes } = await run([aRun(1, ['migrate'])], fakeTaskRunner({ failures: true }));
    expect(outcomes[0]).toMatchObject({ outcome: 'failed-to-start', reason: expect.stringContaining('RESOURCE:MEMORY') });
  });

  it('stops the task at the timeout, and on an abort', async () => {
    const slow = fakeTaskRunner({ polls: 1000 });
    const timedOut = await run([aRun(1, ['migrate'])], slow, { timeoutMs: 5000 });
    expect(timedOut.outcomes[0]).toMatchObject({ outcome: 'timed-out', diagnosis: { cause: 'timeout', stopCode: 'UserInitiated' } });
    expect(slow.stopped).toEqual(['arn:task/prod/1']);

    const aborted = fakeTaskRunner({ polls: 1000 });
    const controller = new AbortController();
    const events: RolloutEvent[] = [];
    const pending = runStepsBefore(
      [aRun(1, ['migrate']), aRun(2, ['next'])],
      'acme/web:2',
      NEW,
      {
        tasks: aborted.port,
        clock: { now: () => 0, sleep: async () => controller.abort() },
        emit: (event) => events.push(event),
      },
      { timeoutMs: 60_000, pollIntervalMs: 1000, signal: controller.signal },
    );
    const result = await pending;
    expect(result.ok).toBe(false);
    expect(result.outcomes.map((outcome) => outcome.outcome)).toEqual(['interrupted', 'not-started']);
    expect(aborted.stopped).toEqual(['arn:task/prod/1']);
  });

  it('skips a step whose service does not move', async () => {
    const ecs = fakeTaskRunner();
    const { ok, outcomes } = await run([aRun(1, ['migrate'], { skipReason: 'prod/web does not move' })], ecs);
    expect(ok).toBe(true);
    expect(outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'prod/web does not move' });
    expect(ecs.started).toEqual([]);
  });
});
