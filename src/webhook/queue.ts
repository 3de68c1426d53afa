import type { UpdatePolicy } from '../core/update-policy.js';
import { supersedes } from './coalesce.js';
import type { Journal, JournaledJob } from './journal.js';
import type { RolloutJob } from './receiver.js';

export type PushOutcome =
  | { readonly kind: 'queued'; readonly replaced: readonly RolloutJob[] }
  /** The same image and push time is already waiting. */
  | { readonly kind: 'duplicate' }
  /** A waiting job of the same repository will end where this one would; this one is dropped. */
  | { readonly kind: 'superseded'; readonly by: RolloutJob };

export interface JobQueue {
  push(job: RolloutJob): PushOutcome;
  /** Queues jobs an earlier run left in the journal (already on disk), coalescing as push does. */
  replay(entries: readonly JournaledJob[]): { queued: RolloutJob[]; superseded: RolloutJob[] };
  /** Takes no further job from the queue; resolves when the one running (if any) has ended. What waits stays journaled. */
  stop(): Promise<void>;
  /** Resolves when nothing is running or waiting. */
  idle(): Promise<void>;
  readonly size: number;
  readonly waiting: number;
  readonly running: RolloutJob | undefined;
}

export interface QueueOptions {
  readonly run: (job: RolloutJob) => Promise<unknown>;
  readonly onError: (job: RolloutJob, error: unknown) => void;
  /** Decides which of two waiting jobs of one repository survives. */
  readonly policy?: UpdatePolicy;
  readonly journal?: Journal;
}

/**
 * Runs jobs one at a time, in arrival order, as the Lambda worker with reserved concurrency 1 does:
 * two rollouts of one image never race, and the later push is applied last. Waiting jobs of one
 * repository are coalesced: ten pushes waiting are one rollout, of the push that would win anyway.
 */
export function createJobQueue(options: QueueOptions): JobQueue {
  const { run, onError, journal } = options;
  const policy = options.policy ?? { kind: 'any' };
  const waiting: JournaledJob[] = [];
  let current: JournaledJob | undefined;
  let draining: Promise<void> | undefined;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];
  let sequence = 0;

  const drain = async () => {
    // Yield first, so `draining` is set before this can finish and clear it.
    await Promise.resolve();
    while (!stopped) {
      const entry = waiting.shift();
      if (entry === undefined) break;
      current = entry;
      try {
        await run(entry.job);
      } catch (error) {
        onError(entry.job, error);
      }
      // Removed only once it has run: a process killed meanwhile replays it (a rollout is safe to repeat).
      journal?.remove(entry);
      current = undefined;
    }
    draining = undefined;
    for (const resolve of idleWaiters) resolve();
    idleWaiters = [];
  };

  let holding = false;
  const start = () => {
    if (!stopped && !holding && waiting.length > 0) draining ??= drain();
  };
  const enqueue = (entry: JournaledJob): PushOutcome => {
    const { job } = entry;
    if (waiting.some((queued) => queued.job.image === job.image && queued.job.pushedAt === job.pushedAt)) {
      journal?.remove(entry);
      return { kind: 'duplicate' };
    }
    const rival = waiting.findIndex((queued) => queued.job.repository === job.repository);
    if (rival >= 0) {
      const existing = waiting[rival] as JournaledJob;
      if (supersedes(existing.job, job, policy) === existing.job) {
        journal?.remove(entry);
        return { kind: 'superseded', by: existing.job };
      }
      waiting.splice(rival, 1);
      journal?.remove(existing);
      waiting.push(entry);
      start();
      return { kind: 'queued', replaced: [existing.job] };
    }
    waiting.push(entry);
    start();
    return { kind: 'queued', replaced: [] };
  };

  return {
    push(job) {
      return enqueue(journal === undefined ? { sequence: ++sequence, job } : journal.add(job));
    },
    replay(entries) {
      // All of them are queued (and coalesced) before the first one starts.
      holding = true;
      const queued: RolloutJob[] = [];
      const superseded: RolloutJob[] = [];
      for (const entry of entries) {
        const outcome = enqueue(entry);
        if (outcome.kind === 'queued') {
          queued.push(entry.job);
          for (const replaced of outcome.replaced) {
            superseded.push(replaced);
            queued.splice(queued.indexOf(replaced), 1);
          }
        } else superseded.push(entry.job);
      }
      holding = false;
      start();
      return { queued, superseded };
    },
    async stop() {
      stopped = true;
      const running = draining;
      if (running !== undefined) await running;
    },
    idle() {
      return draining === undefined ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
    },
    get size() {
      return waiting.length + (current === undefined ? 0 : 1);
    },
    get waiting() {
      return waiting.length;
    },
    get running() {
      return current?.job;
    },
  };
}
