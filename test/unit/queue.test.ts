import { describe, expect, it } from 'vitest';
import { createJobQueue } from '../../src/webhook/queue.js';
import type { RolloutJob } from '../../src/webhook/receiver.js';

const job = (tag: string, pushedAt: number): RolloutJob => ({
  version: 1,
  kind: 'dockerhub-push',
  image: `acme/web:${tag}`,
  repository: 'docker.io/acme/web',
  tag,
  pushedAt,
});

describe('createJobQueue', () => {
  it('runs jobs one at a time in arrival order and drops a waiting duplicate', async () => {
    const log: string[] = [];
    let inFlight = 0;
    let most = 0;
    const queue = createJobQueue(
      async (next) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        log.push(next.tag);
        inFlight -= 1;
      },
      () => {},
    );
    expect(queue.push(job('1.1', 1))).toBe(true);
    expect(queue.push(job('1.2', 2))).toBe(true);
    expect(queue.push(job('1.2', 2))).toBe(false);
    expect(queue.push(job('1.3', 3))).toBe(true);
    await queue.idle();
    expect(log).toEqual(['1.1', '1.2', '1.3']);
    expect(most).toBe(1);
    expect(queue.size).toBe(0);
  });

  it('reports a failed job and goes on with the next', async () => {
    const failures: string[] = [];
    const done: string[] = [];
    const queue = createJobQueue(
      async (next) => {
        if (next.tag === 'bad') throw new Error('boom');
        done.push(next.tag);
      },
      (failed, error) => failures.push(`${failed.tag}: ${(error as Error).message}`),
    );
    queue.push(job('bad', 1));
    queue.push(job('good', 2));
    await queue.idle();
    expect(failures).toEqual(['bad: boom']);
    expect(done).toEqual(['good']);
  });
});
