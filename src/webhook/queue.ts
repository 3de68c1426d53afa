import type { RolloutJob } from './receiver.js';

export interface JobQueue {
  /** Queues a job; a job already waiting with the same image and push time is dropped as a duplicate. */
  push(job: RolloutJob): boolean;
  /** Resolves when nothing is running or waiting. */
  idle(): Promise<void>;
  readonly size: number;
}

/**
 * Runs jobs one at a time, in arrival order, as the Lambda worker with reserved concurrency 1 does:
 * two rollouts of one image never race, and the later push is applied last.
 */
export function createJobQueue(run: (job: RolloutJob) => Promise<unknown>, onError: (job: RolloutJob, error: unknown) => void): JobQueue {
  const waiting: RolloutJob[] = [];
  let running: Promise<void> | undefined;
  let idleWaiters: (() => void)[] = [];

  const drain = async () => {
    for (let job = waiting.shift(); job !== undefined; job = waiting.shift()) {
      try {
        await run(job);
      } catch (error) {
        onError(job, error);
      }
    }
    running = undefined;
    for (const resolve of idleWaiters) resolve();
    idleWaiters = [];
  };

  return {
    push(job) {
      if (waiting.some((queued) => queued.image === job.image && queued.pushedAt === job.pushedAt)) return false;
      waiting.push(job);
      running ??= drain();
      return true;
    },
    idle() {
      return running === undefined ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
    },
    get size() {
      return waiting.length + (running === undefined ? 0 : 1);
    },
  };
}
