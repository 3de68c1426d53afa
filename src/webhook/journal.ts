import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseJob, type RolloutJob } from './receiver.js';

/**
 * `serve`'s accepted jobs on disk, one small file per job, so a job answered 202 survives `kill -9`,
 * a crash or a restart. A job's file is written (and fsynced) before the 202 goes out and removed when
 * the job has run or was superseded; what is left at start-up is replayed in arrival order.
 */
export interface JournaledJob {
  readonly sequence: number;
  readonly job: RolloutJob;
}

export interface Journal {
  readonly directory: string;
  add(job: RolloutJob): JournaledJob;
  remove(entry: JournaledJob): void;
  /** Jobs left by an earlier run, oldest first; unreadable files are set aside and named. */
  load(): { jobs: JournaledJob[]; unreadable: string[] };
}

/** `$XDG_STATE_HOME/ecs-roll`, else `~/.local/state/ecs-roll`, as the XDG Base Directory spec places state. */
export function defaultStateDirectory(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_STATE_HOME?.startsWith('/') ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(base, 'ecs-roll');
}

const FILE = /^(\d{12})\.job\.json$/;

export function openJournal(stateDirectory: string): Journal {
  const directory = join(stateDirectory, 'serve-queue');
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  let next = 1 + Math.max(0, ...readdirSync(directory).map((name) => Number(FILE.exec(name)?.[1] ?? 0)));
  const pathOf = (sequence: number) => join(directory, `${String(sequence).padStart(12, '0')}.job.json`);

  return {
    directory,
    add(job) {
      const entry = { sequence: next++, job };
      const path = pathOf(entry.sequence);
      const temporary = `${path}.tmp`;
      const fd = openSync(temporary, 'w', 0o600);
      try {
        writeSync(fd, JSON.stringify(job));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, path);
      return entry;
    },
    remove(entry) {
      rmSync(pathOf(entry.sequence), { force: true });
    },
    load() {
      const jobs: JournaledJob[] = [];
      const unreadable: string[] = [];
      for (const name of readdirSync(directory).sort()) {
        if (name.endsWith('.tmp')) {
          // Written but never renamed: the 202 was never sent for it.
          rmSync(join(directory, name), { force: true });
          continue;
        }
        const match = FILE.exec(name);
        if (match === null) continue;
        let job: RolloutJob | undefined;
        try {
          job = parseJob(JSON.parse(readFileSync(join(directory, name), 'utf8')));
        } catch {
          job = undefined;
        }
        if (job === undefined) {
          renameSync(join(directory, name), join(directory, `${name}.unreadable`));
          unreadable.push(name);
        } else {
          jobs.push({ sequence: Number(match[1]), job });
        }
      }
      return { jobs, unreadable };
    },
  };
}
