import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { supersedes } from '../../src/webhook/coalesce.js';
import { defaultStateDirectory, openJournal } from '../../src/webhook/journal.js';
import { createJobQueue } from '../../src/webhook/queue.js';
import type { RolloutJob } from '../../src/webhook/receiver.js';

const job = (tag: string, pushedAt: number, repo = 'acme/web'): RolloutJob => ({
  version: 1,
  kind: 'dockerhub-push',
  image: `${repo}:${tag}`,
  repository: `docker.io/${repo}`,
  tag,
  pushedAt,
});

/** A run function that holds each job until released, to fill the queue behind a running one. */
function gatedRunner() {
  const ran: string[] = [];
  let release: () => void = () => {};
  const run = async (next: RolloutJob) => {
    ran.push(next.image);
    if (ran.length === 1) await new Promise<void>((resolve) => (release = resolve));
  };
  return { ran, run, release: () => release() };
}

/** Lets the queue take its first job before more arrive. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});
const tempFolder = () => {
  const folder = mkdtempSync(join(tmpdir(), 'ecs-roll-journal-'));
  folders.push(folder);
  return folder;
};

describe('createJobQueue', () => {
  it('runs jobs one at a time in arrival order and drops a waiting duplicate', async () => {
    const log: string[] = [];
    let inFlight = 0;
    let most = 0;
    const queue = createJobQueue({
      run: async (next) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        log.push(next.image);
        inFlight -= 1;
      },
      onError: () => {},
    });
    expect(queue.push(job('1.1', 1)).kind).toBe('queued');
    expect(queue.push(job('1.0', 2, 'acme/api')).kind).toBe('queued');
    expect(queue.push(job('1.0', 2, 'acme/api')).kind).toBe('duplicate');
    expect(queue.push(job('1.3', 3, 'acme/db')).kind).toBe('queued');
    await queue.idle();
    expect(log).toEqual(['acme/web:1.1', 'acme/api:1.0', 'acme/db:1.3']);
    expect(most).toBe(1);
    expect(queue.size).toBe(0);
  });

  it('reports a failed job and goes on with the next', async () => {
    const failures: string[] = [];
    const done: string[] = [];
    const queue = createJobQueue({
      run: async (next) => {
        if (next.tag === 'bad') throw new Error('boom');
        done.push(next.tag);
      },
      onError: (failed, error) => failures.push(`${failed.tag}: ${(error as Error).message}`),
    });
    queue.push(job('bad', 1));
    queue.push(job('good', 2, 'acme/api'));
    await queue.idle();
    expect(failures).toEqual(['bad: boom']);
    expect(done).toEqual(['good']);
  });

  it('coalesces ten waiting pushes of one repository into one rollout of the newest', async () => {
    const gate = gatedRunner();
    const queue = createJobQueue({ run: gate.run, onError: () => {} });
    queue.push(job('running', 1));
    await tick();
    for (let index = 1; index <= 10; index += 1) queue.push(job(`1.${index}`, 100 + index));
    queue.push(job('0.9', 50)); // older than what waits: superseded at once
    expect(queue.waiting).toBe(1);
    gate.release();
    await queue.idle();
    expect(gate.ran).toEqual(['acme/web:running', 'acme/web:1.10']);
  });

  it('under semver keeps the highest version waiting, not the latest push', async () => {
    const gate = gatedRunner();
    const queue = createJobQueue({ run: gate.run, onError: () => {}, policy: { kind: 'semver' } });
    queue.push(job('1.0.0', 1));
    await tick();
    queue.push(job('2.0.0', 100));
    expect(queue.push(job('1.9.1', 101))).toEqual({ kind: 'superseded', by: job('2.0.0', 100) });
    gate.release();
    await queue.idle();
    expect(gate.ran).toEqual(['acme/web:1.0.0', 'acme/web:2.0.0']);
  });

  it('on stop finishes the running job, runs nothing more and keeps the waiting ones on disk for the next start', async () => {
    const folder = tempFolder();
    const gate = gatedRunner();
    const queue = createJobQueue({ run: gate.run, onError: () => {}, journal: openJournal(folder) });
    queue.push(job('1.1', 1));
    await tick();
    queue.push(job('2.0', 2, 'acme/api'));
    queue.push(job('3.0', 3, 'acme/db'));
    const stopped = queue.stop();
    gate.release();
    await stopped;
    expect(gate.ran).toEqual(['acme/web:1.1']);

    const next = gatedRunner();
    const journal = openJournal(folder);
    const restarted = createJobQueue({ run: next.run, onError: () => {}, journal });
    const replayed = restarted.replay(journal.load().jobs);
    expect(replayed.queued.map((entry) => entry.image)).toEqual(['acme/api:2.0', 'acme/db:3.0']);
    await tick();
    next.release();
    await restarted.idle();
    expect(next.ran).toEqual(['acme/api:2.0', 'acme/db:3.0']);
    expect(readdirSync(join(folder, 'serve-queue'))).toEqual([]);
  });

  it('replays a journal left by a killed process, coalesced, and sets aside what it cannot read', () => {
    const folder = tempFolder();
    const journal = openJournal(folder);
    journal.add(job('1.1', 1));
    journal.add(job('1.2', 2));
    writeFileSync(join(journal.directory, '000000000099.job.json'), '{"version":1,"kind":"dockerhub-push","image":"x y"}');
    writeFileSync(join(journal.directory, '000000000100.job.json.tmp'), 'half');
    const reopened = openJournal(folder);
    const loaded = reopened.load();
    expect(loaded.unreadable).toEqual(['000000000099.job.json']);
    const queue = createJobQueue({ run: () => new Promise(() => {}), onError: () => {}, journal: reopened });
    const replayed = queue.replay(loaded.jobs);
    expect(replayed.queued.map((entry) => entry.image)).toEqual(['acme/web:1.2']);
    expect(replayed.superseded.map((entry) => entry.image)).toEqual(['acme/web:1.1']);
    expect(readdirSync(journal.directory).sort()).toEqual(['000000000002.job.json', '000000000099.job.json.unreadable']);
  });
});

describe('supersedes', () => {
  it.each([
    ['any', job('a', 10), job('b', 20), 'b'],
    ['any', job('a', 20), job('b', 10), 'a'],
    ['any: the same second, the later arrival', job('a', 10), job('b', 10), 'b'],
    ['semver: the higher version', job('2.0.0', 10), job('1.9.9', 20), '2.0.0'],
    ['semver: the same version, the later push', job('v1.0.0', 10), job('1.0.0', 20), '1.0.0'],
  ])('%s', (label, a, b, expected) => {
    const policy = label.startsWith('semver') ? ({ kind: 'semver' } as const) : ({ kind: 'any' } as const);
    expect(supersedes(a, b, policy).tag).toBe(expected);
  });
});

describe('defaultStateDirectory', () => {
  it('uses XDG_STATE_HOME when it is an absolute path, else ~/.local/state', () => {
    expect(defaultStateDirectory({ XDG_STATE_HOME: '/var/state' })).toBe('/var/state/ecs-roll');
    expect(defaultStateDirectory({ XDG_STATE_HOME: 'relative' })).toMatch(/\/\.local\/state\/ecs-roll$/);
    expect(defaultStateDirectory({})).toMatch(/\/\.local\/state\/ecs-roll$/);
  });
});

describe('createJobQueue after an empty replay', () => {
  it('still runs what is pushed later', async () => {
    const ran: string[] = [];
    const queue = createJobQueue({ run: async (next) => void ran.push(next.image), onError: () => {} });
    queue.replay([]);
    queue.push(job('1.1', 1));
    await queue.idle();
    expect(ran).toEqual(['acme/web:1.1']);
  });
});
