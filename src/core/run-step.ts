import { createHash } from 'node:crypto';
import type { EmitEvent } from './events.js';
import type { Tag } from './model.js';
import type { Clock } from './ports.js';
import type { PlannedRun, RunLaunch, RunLogLocation } from './run-before.js';
import { diagnose, exitCodes, taskSucceeded, type RunDiagnosis, type RunTaskState } from './run-diagnosis.js';

/** What a one-off task is started with; the AWS adapter turns it into a RunTask call. */
export interface RunTaskRequest {
  readonly cluster: string;
  readonly taskDefinitionArn: string;
  readonly container: string;
  readonly command: readonly string[];
  readonly launch: RunLaunch;
  readonly startedBy: string;
  readonly tags: readonly Tag[];
  /** RunTask's idempotency token: a retried call with it starts no second task. */
  readonly clientToken: string;
}

export interface RunTaskAnswer {
  readonly task?: RunTaskState;
  /** RunTask's `failures`: why no task was placed (RESOURCE:MEMORY, …). */
  readonly failures: readonly { readonly arn?: string; readonly reason?: string; readonly detail?: string }[];
}

/** The part of ECS and CloudWatch Logs a one-off task needs. */
export interface TaskRunPort {
  runTask(request: RunTaskRequest): Promise<RunTaskAnswer>;
  describeTask(cluster: string, taskArn: string): Promise<RunTaskState | undefined>;
  /** Tasks `startedBy` started in the cluster, running or recently stopped, that carry every one of `tags`. */
  findTasks(cluster: string, startedBy: string, tags: readonly Tag[]): Promise<RunTaskState[]>;
  stopTask(cluster: string, taskArn: string, reason: string): Promise<void>;
  /** The last `lines` events of a log stream, oldest first; empty when the stream does not exist. */
  logTail(location: { group: string; stream: string; region?: string }, lines: number): Promise<string[]>;
}

export const RUN_STARTED_BY = 'ecs-roll';
export const ROLLOUT_ID_TAG = 'ecs-roll:rollout-id';
export const RUN_STEP_TAG = 'ecs-roll:run-step';
const LOG_TAIL_LINES = 20;

export type RunOutcomeKind =
  | 'succeeded'
  /** An earlier run of this same rollout already ran it to exit 0; not run again. */
  | 'already-succeeded'
  | 'failed'
  | 'failed-to-start'
  | 'timed-out'
  | 'interrupted'
  /** The service does not move in this rollout. */
  | 'skipped'
  /** An earlier step failed. */
  | 'not-started';

export const SUCCESSFUL_RUN_OUTCOMES: ReadonlySet<RunOutcomeKind> = new Set(['succeeded', 'already-succeeded', 'skipped']);

export interface RunStepOutcome {
  readonly step: number;
  readonly spec: string;
  readonly cluster: string;
  readonly service: string;
  readonly container: string;
  readonly command: readonly string[];
  readonly taskDefinitionArn?: string;
  readonly taskArn?: string;
  readonly outcome: RunOutcomeKind;
  readonly reason?: string;
  readonly exitCodes?: Record<string, number | null>;
  readonly durationSeconds?: number;
  readonly diagnosis?: RunDiagnosis;
}

export interface RunStepOptions {
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly signal?: AbortSignal;
}

export interface RunStepDeps {
  readonly tasks: TaskRunPort;
  readonly clock: Clock;
  readonly emit: EmitEvent;
}

/**
 * The rollout's identity, the same for a re-run of the same rollout: the image and the set of revisions it
 * registered (reused, not registered again, on a re-run). Tasks carry it in a tag, so a re-run finds them.
 */
export function rolloutId(image: string, newRevisionArns: Iterable<string>): string {
  const revisions = [...new Set(newRevisionArns)].sort();
  return createHash('sha256')
    .update([image, ...revisions].join('\n'))
    .digest('hex')
    .slice(0, 32);
}

function stepId(run: PlannedRun): string {
  return `${run.step}-${createHash('sha256').update(run.spec).digest('hex').slice(0, 12)}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function seconds(from: string | undefined, to: string | undefined): number | undefined {
  if (from === undefined || to === undefined) return undefined;
  const span = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(span) && span >= 0 ? Math.round(span * 10) / 10 : undefined;
}

/** The stream ECS's awslogs driver writes: `prefix/container/task-id` (using_awslogs.html). */
export function logStreamOf(location: RunLogLocation, taskArn: string): string {
  return `${location.streamPrefix}/${location.container}/${taskArn.slice(taskArn.lastIndexOf('/') + 1)}`;
}

async function diagnosisOf(
  run: PlannedRun,
  task: RunTaskState,
  tasks: TaskRunPort,
  ending: 'failed' | 'timed-out' = 'failed',
): Promise<RunDiagnosis> {
  // The overridden container's output first: that is the command that was asked for.
  const location = run.logs.find((log) => log.container === run.container);
  if (location === undefined) return diagnose(task, run.essentialContainers, [], undefined, ending);
  const stream = logStreamOf(location, task.taskArn);
  const tail = await tasks
    .logTail({ group: location.group, stream, ...(location.region === undefined ? {} : { region: location.region }) }, LOG_TAIL_LINES)
    .catch((error: unknown) => [`(could not read ${location.group}/${stream}: ${errorMessage(error)})`]);
  return diagnose(task, run.essentialContainers, tail, `${location.group}/${stream}`, ending);
}

/**
 * Runs the plan's one-off tasks in order, each to STOPPED, and stops at the first that does not
 * succeed. Nothing here moves a service: the executor goes on only when every step succeeded.
 */
export async function runStepsBefore(
  runs: readonly PlannedRun[],
  image: string,
  newArns: ReadonlyMap<string, string>,
  deps: RunStepDeps,
  options: RunStepOptions,
): Promise<{ ok: boolean; outcomes: RunStepOutcome[] }> {
  const id = rolloutId(image, newArns.values());
  const outcomes: RunStepOutcome[] = [];
  let failed = false;
  for (const run of runs) {
    const base = { step: run.step, spec: run.spec, cluster: run.cluster, service: run.service, container: run.container, command: run.command };
    if (run.skipReason !== undefined || run.registration === undefined) {
      outcomes.push({ ...base, outcome: 'skipped', reason: run.skipReason ?? 'no new revision for this service' });
      continue;
    }
    if (failed || options.signal?.aborted) {
      outcomes.push({
        ...base,
        outcome: 'not-started',
        reason: failed ? 'an earlier run-before step did not succeed' : 'interrupted before it started',
      });
      continue;
    }
    const taskDefinitionArn = newArns.get(run.registration);
    if (taskDefinitionArn === undefined) throw new Error(`run-before step ${run.step} names registration ${run.registration} that the plan lacks`);
    const outcome = await runOne(run, { ...base, taskDefinitionArn }, id, deps, options);
    outcomes.push(outcome);
    deps.emit({ type: 'run-finished', outcome });
    if (!SUCCESSFUL_RUN_OUTCOMES.has(outcome.outcome)) failed = true;
  }
  return { ok: !failed && !options.signal?.aborted, outcomes };
}

type OutcomeBase = Pick<RunStepOutcome, 'step' | 'spec' | 'cluster' | 'service' | 'container' | 'command'> & { taskDefinitionArn: string };

async function runOne(
  run: PlannedRun,
  base: OutcomeBase,
  id: string,
  { tasks, clock, emit }: RunStepDeps,
  options: RunStepOptions,
): Promise<RunStepOutcome> {
  const tags: Tag[] = [
    { key: ROLLOUT_ID_TAG, value: id },
    { key: RUN_STEP_TAG, value: stepId(run) },
  ];
  // A re-run after a crash: the task the earlier run started is found by its tags, never started twice.
  let earlier: RunTaskState[] = [];
  try {
    earlier = await tasks.findTasks(run.clusterArn, RUN_STARTED_BY, tags);
  } catch (error) {
    return { ...base, outcome: 'failed-to-start', reason: `could not look for a task an earlier run started: ${errorMessage(error)}` };
  }
  const running = earlier.find((task) => task.lastStatus !== 'STOPPED');
  const done = earlier.find((task) => taskSucceeded(task, run.essentialContainers));
  if (running === undefined && done !== undefined) {
    emit({
      type: 'notice',
      cluster: run.cluster,
      service: run.service,
      message: `run-before step ${run.step} already exited 0 for this rollout (${done.taskArn}); not run again`,
    });
    return { ...base, taskArn: done.taskArn, outcome: 'already-succeeded', exitCodes: exitCodes(done), ...durationOf(done) };
  }

  let task = running;
  if (task === undefined) {
    let answer: RunTaskAnswer;
    try {
      answer = await tasks.runTask({
        cluster: run.clusterArn,
        taskDefinitionArn: base.taskDefinitionArn,
        container: run.container,
        command: run.command,
        launch: run.launch,
        startedBy: RUN_STARTED_BY,
        tags,
        clientToken: `${id}-${stepId(run)}`.slice(0, 64),
      });
    } catch (error) {
      return { ...base, outcome: 'failed-to-start', reason: `RunTask failed: ${errorMessage(error)}` };
    }
    if (answer.task === undefined) {
      const why =
        answer.failures.map((failure) => [failure.reason, failure.detail].filter(Boolean).join(': ')).join('; ') || 'RunTask started no task';
      return { ...base, outcome: 'failed-to-start', reason: `ECS could not start the task: ${why}` };
    }
    task = answer.task;
  }
  emit({
    type: 'run-started',
    step: run.step,
    cluster: run.cluster,
    service: run.service,
    container: run.container,
    taskArn: task.taskArn,
    taskDefinitionArn: base.taskDefinitionArn,
    adopted: running !== undefined,
  });
  return waitForTask(run, base, task, { tasks, clock, emit }, options);
}

function durationOf(task: RunTaskState): { durationSeconds?: number } {
  const span = seconds(task.startedAt ?? task.createdAt, task.stoppedAt);
  return span === undefined ? {} : { durationSeconds: span };
}

async function waitForTask(
  run: PlannedRun,
  base: OutcomeBase,
  started: RunTaskState,
  { tasks, clock }: RunStepDeps,
  options: RunStepOptions,
): Promise<RunStepOutcome> {
  const deadline = clock.now() + options.timeoutMs;
  let task = started;
  const withTask = (current: RunTaskState) => ({ ...base, taskArn: current.taskArn, exitCodes: exitCodes(current), ...durationOf(current) });
  while (task.lastStatus !== 'STOPPED') {
    if (options.signal?.aborted || clock.now() >= deadline) {
      const interrupted = options.signal?.aborted === true;
      const reason = interrupted
        ? 'ecs-roll was interrupted (Ctrl-C) while the run-before task ran'
        : `ecs-roll: the run-before task did not stop within ${Math.round(options.timeoutMs / 1000)} s`;
      await tasks.stopTask(run.clusterArn, task.taskArn, reason.slice(0, 255)).catch(() => undefined);
      const last = (await tasks.describeTask(run.clusterArn, task.taskArn).catch(() => undefined)) ?? task;
      return {
        ...withTask(last),
        outcome: interrupted ? 'interrupted' : 'timed-out',
        reason: interrupted
          ? 'interrupted; the task was stopped'
          : `did not finish within ${Math.round(options.timeoutMs / 1000)} s; the task was stopped`,
        diagnosis: await diagnosisOf(run, last, tasks, interrupted ? 'failed' : 'timed-out'),
      };
    }
    await clock.sleep(Math.max(0, Math.min(options.pollIntervalMs, deadline - clock.now())), options.signal);
    if (options.signal?.aborted) continue;
    try {
      task = (await tasks.describeTask(run.clusterArn, task.taskArn)) ?? task;
    } catch {
      // A failed poll is tried again at the next interval; the deadline still holds.
    }
  }
  if (taskSucceeded(task, run.essentialContainers)) return { ...withTask(task), outcome: 'succeeded' };
  const diagnosis = await diagnosisOf(run, task, tasks);
  const neverRan = task.stopCode === 'TaskFailedToStart' || task.containers.every((container) => container.exitCode === undefined);
  return { ...withTask(task), outcome: neverRan ? 'failed-to-start' : 'failed', reason: diagnosis.summary, diagnosis };
}
