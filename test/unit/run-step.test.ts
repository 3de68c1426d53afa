import { describe, expect, it } from 'vitest';
import type { RolloutEvent } from '../../src/core/events.js';
import type { Clock } from '../../src/core/ports.js';
import type { PlannedRun } from '../../src/core/run-before.js';
import type { RunTaskState } from '../../src/core/run-diagnosis.js';
import { rolloutId, runStepsBefore, type RunTaskRequest, type TaskRunPort } from '../../src/core/run-step.js';

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

/** A clock that moves only when the code under test sleeps. */
function fakeClock(): Clock {
  let now = 0;
  return { now: () => now, sleep: async (ms) => {
      now += ms;
    },
  };
}

/**
 * ECS in memory: each task runs for `polls` DescribeTasks and then stops with the exit code its command names
 * (`exit=N`); `earlier` are tasks a previous run left.
 */
function fakeEcs(options: { earlier?: RunTaskState[]; polls?: number; failures?: boolean } = {}) {
  const started: RunTaskRequest[] = [];
  const stopped: string[] = [];
  const tasks = new Map<string, { state: RunTaskState; polls: number; exit: number }>();
  for (const task of options.earlier ?? []) tasks.set(task.taskArn, { state: task, polls: 1, exit: 0 });
  const port: TaskRunPort = {
    async runTask(request) {
      started.push(request);
      if (options.failures) return { failures: [{ arn: 'arn:ci/1', reason: 'RESOURCE:MEMORY' }] };
      const state: RunTaskState = { taskArn: `arn:task/prod/${started.length}`, lastStatus: 'PROVISIONING', containers: [{ name: 'app' }], tags: [...request.tags] };
      const exit = Number(request.command.find((word) => word.startsWith('exit='))?.slice(5) ?? 0);
      tasks.set(state.taskArn, { state, polls: options.polls ?? 2, exit });
      return { task: state, failures: [] };
    },
    async describeTask(_cluster, taskArn) {
      const entry = tasks.get(taskArn);
      if (entry === undefined) return undefined;
      if (entry.state.lastStatus !== 'STOPPED') {
        entry.polls -= 1;
        entry.state =
          entry.polls > 0
            ? { ...entry.state, lastStatus: 'RUNNING' }
            : { ...entry.state, lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited', containers: [{ name: 'app', exitCode: entry.exit }] };
      }
      return entry.state;
    },
    async findTasks(_cluster, _startedBy, tags) {
      return [...tasks.values()].map((entry) => entry.state).filter((task) => tags.every((tag) => task.tags.some((own) => own.key === tag.key && own.value === tag.value)));
    },
    async stopTask(_cluster, taskArn) {
      stopped.push(taskArn);
      const entry = tasks.get(taskArn);
      if (entry !== undefined) entry.state = { ...entry.state, lastStatus: 'STOPPED', stopCode: 'UserInitiated', containers: [{ name: 'app', exitCode: 143 }] };
    },
    async logTail() {
      return ['last line'];
    },
  };
  return { port, started, stopped };
}

async function run(runs: PlannedRun[], ecs: ReturnType<typeof fakeEcs>, options: { timeoutMs?: number; signal?: AbortSignal } = {}) {
  const events: RolloutEvent[] = [];
  const result = await runStepsBefore(runs, 'acme/web:2', NEW, { tasks: ecs.port, clock: fakeClock(), emit: (event) => events.push(event) }, {
    timeoutMs: options.timeoutMs ?? 60_000,
    pollIntervalMs: 1000,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return { ...result, events };
}

describe('running the run-before steps', () => {
  it('runs the steps in order and stops at the first that exits non-zero', async () => {
    const ecs = fakeEcs();
    const { ok, outcomes } = await run([aRun(1, ['a']), aRun(2, ['b', 'exit=3']), aRun(3, ['c'])], ecs);
    expect(ok).toBe(false);
    expect(ecs.started.map((request) => request.command)).toEqual([['a'], ['b', 'exit=3']]);
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['succeeded', 'failed', 'not-started']);
    expect(outcomes[1]).toMatchObject({ exitCodes: { app: 3 }, diagnosis: { stopCode: 'EssentialContainerExited', logTail: ['last line'], cause: 'container-exit' } });
    expect(outcomes[1]?.diagnosis?.logStream).toBe('/ecs/web/web/app/2');
  });

  it('starts the task from the new revision with startedBy, the rollout tags and an idempotency token', async () => {
    const ecs = fakeEcs();
    await run([aRun(1, ['migrate'])], ecs);
    const [request] = ecs.started;
    expect(request).toMatchObject({ taskDefinitionArn: NEW.get(SOURCE), container: 'app', command: ['migrate'], startedBy: 'ecs-roll', launch: { launchType: 'FARGATE' } });
    expect(request?.tags).toEqual([
      { key: 'ecs-roll:rollout-id', value: rolloutId('acme/web:2', NEW.values()) },
      { key: 'ecs-roll:run-step', value: expect.stringMatching(/^1-[0-9a-f]{12}$/) },
    ]);
    expect(request?.clientToken.length).toBeLessThanOrEqual(64);
  });

  it('waits for a task an earlier run started instead of starting another', async () => {
    const first = fakeEcs({ polls: 100 });
    await run([aRun(1, ['migrate'])], first, { timeoutMs: 1 });
    const leftRunning: RunTaskState = { taskArn: 'arn:task/prod/earlier', lastStatus: 'RUNNING', containers: [{ name: 'app' }], tags: first.started[0]?.tags ?? [] };
    const ecs = fakeEcs({ earlier: [leftRunning] });
    const { ok, outcomes, events } = await run([aRun(1, ['migrate'])], ecs);
    expect(ok).toBe(true);
    expect(ecs.started).toEqual([]);
    expect(outcomes[0]?.taskArn).toBe('arn:task/prod/earlier');
    expect(events).toContainEqual(expect.objectContaining({ type: 'run-started', adopted: true }));
  });

  it('does not run again a step that already exited 0 for the same rollout, but does run one that failed', async () => {
    const tagsOf = async () => {
      const probe = fakeEcs();
      await run([aRun(1, ['migrate'])], probe);
      return probe.started[0]?.tags ?? [];
    };
    const tags = await tagsOf();
    const done: RunTaskState = { taskArn: 'arn:task/prod/done', lastStatus: 'STOPPED', containers: [{ name: 'app', exitCode: 0 }], tags };
    const again = fakeEcs({ earlier: [done] });
    expect((await run([aRun(1, ['migrate'])], again)).outcomes[0]?.outcome).toBe('already-succeeded');
    expect(again.started).toEqual([]);

    const failed: RunTaskState = { ...done, taskArn: 'arn:task/prod/failed', containers: [{ name: 'app', exitCode: 1 }] };
    const retry = fakeEcs({ earlier: [failed] });
    expect((await run([aRun(1, ['migrate'])], retry)).outcomes[0]?.outcome).toBe('succeeded');
    expect(retry.started).toHaveLength(1);
  });

  it('reports RunTask failures as failed-to-start, with ECS reason', async () => {
    const { outcomes } = await run([aRun(1, ['migrate'])], fakeEcs({ failures: true }));
    expect(outcomes[0]).toMatchObject({ outcome: 'failed-to-start', reason: expect.stringContaining('RESOURCE:MEMORY') });
  });

  it('stops the task at the timeout, and on an abort', async () => {
    const slow = fakeEcs({ polls: 1000 });
    const timedOut = await run([aRun(1, ['migrate'])], slow, { timeoutMs: 5000 });
    expect(timedOut.outcomes[0]).toMatchObject({ outcome: 'timed-out', diagnosis: { cause: 'timeout', stopCode: 'UserInitiated' } });
    expect(slow.stopped).toEqual(['arn:task/prod/1']);

    const aborted = fakeEcs({ polls: 1000 });
    const controller = new AbortController();
    const events: RolloutEvent[] = [];
    const pending = runStepsBefore([aRun(1, ['migrate']), aRun(2, ['next'])], 'acme/web:2', NEW, {
      tasks: aborted.port,
      clock: { now: () => 0, sleep: async () => controller.abort() },
      emit: (event) => events.push(event),
    }, { timeoutMs: 60_000, pollIntervalMs: 1000, signal: controller.signal });
    const result = await pending;
    expect(result.ok).toBe(false);
    expect(result.outcomes.map((outcome) => outcome.outcome)).toEqual(['interrupted', 'not-started']);
    expect(aborted.stopped).toEqual(['arn:task/prod/1']);
  });

  it('skips a step whose service does not move', async () => {
    const ecs = fakeEcs();
    const { ok, outcomes } = await run([aRun(1, ['migrate'], { skipReason: 'prod/web does not move' })], ecs);
    expect(ok).toBe(true);
    expect(outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'prod/web does not move' });
    expect(ecs.started).toEqual([]);
  });
});
