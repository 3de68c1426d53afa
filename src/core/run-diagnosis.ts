import { classifyFailure, type DiagnosisCause } from './diagnosis.js';

/**
 * Why a one-off task did not succeed, in the words ECS uses: its stop code and reason, each container's
 * exit code and reason, and the last lines its awslogs stream holds; the cause and the hint come from
 * the rollout's failure classifier (diagnosis.ts), given the task as the stopped task it examines.
 * Stop codes: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html
 */

export interface RunContainerState {
  readonly name: string;
  readonly exitCode?: number;
  readonly reason?: string;
  readonly lastStatus?: string;
}

/** The part of a DescribeTasks answer a one-off task is judged by. */
export interface RunTaskState {
  readonly taskArn: string;
  readonly lastStatus: string;
  readonly desiredStatus?: string;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly createdAt?: string;
  readonly startedAt?: string;
  readonly stoppedAt?: string;
  readonly containers: readonly RunContainerState[];
  readonly tags: readonly { readonly key: string; readonly value: string }[];
}

export interface RunDiagnosis {
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly containers: readonly RunContainerState[];
  /** Which awslogs stream the tail comes from, when the container logs to one. */
  readonly logStream?: string;
  readonly logTail: readonly string[];
  /** One line for people: what went wrong. */
  readonly summary: string;
  readonly cause: DiagnosisCause;
  /** What to do about it. */
  readonly hint: string;
}

/** Essential containers that did not exit 0 (a missing exit code counts: the container never ran to the end). */
export function failedEssentials(task: RunTaskState, essential: readonly string[]): RunContainerState[] {
  return task.containers.filter((container) => essential.includes(container.name) && container.exitCode !== 0);
}

export function taskSucceeded(task: RunTaskState, essential: readonly string[]): boolean {
  return task.lastStatus === 'STOPPED' && essential.length > 0 && failedEssentials(task, essential).length === 0;
}

export function exitCodes(task: RunTaskState): Record<string, number | null> {
  return Object.fromEntries(task.containers.map((container) => [container.name, container.exitCode ?? null]));
}

/** The one-line account of a stopped (or stuck) task; the log tail goes beside it. */
export function summarise(task: RunTaskState, essential: readonly string[]): string {
  const failed = failedEssentials(task, essential);
  const codes = failed
    .map(
      (container) =>
        `${container.name} ${container.exitCode === undefined ? 'has no exit code' : `exited ${container.exitCode}`}${container.reason ? ` (${container.reason})` : ''}`,
    )
    .join(', ');
  const stop = [task.stopCode, task.stoppedReason].filter((part) => part !== undefined && part !== '').join(': ');
  return [stop, codes].filter((part) => part !== '').join('; ') || `the task is ${task.lastStatus}`;
}

export function diagnose(
  task: RunTaskState,
  essential: readonly string[],
  logTail: readonly string[],
  logStream?: string,
  ending: 'failed' | 'timed-out' = 'failed',
): RunDiagnosis {
  const classified = classifyFailure({
    ending,
    stoppedTasks: [
      {
        taskArn: task.taskArn,
        ...(task.stopCode === undefined ? {} : { stopCode: task.stopCode }),
        ...(task.stoppedReason === undefined ? {} : { stoppedReason: task.stoppedReason }),
        containers: task.containers,
      },
    ],
    events: [],
    targetHealth: [],
    logTails: [],
  });
  return {
    cause: ending === 'timed-out' ? 'timeout' : classified.cause,
    hint:
      ending === 'timed-out' ? 'The task was still running at --run-timeout: raise it, or see from the log tail where it waited.' : classified.hint,
    ...(task.stopCode === undefined ? {} : { stopCode: task.stopCode }),
    ...(task.stoppedReason === undefined ? {} : { stoppedReason: task.stoppedReason }),
    containers: task.containers,
    ...(logStream === undefined ? {} : { logStream }),
    logTail,
    summary: summarise(task, essential),
  };
}
