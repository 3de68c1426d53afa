import { Chalk, type ChalkInstance } from 'chalk';
import type { InstallProgress, InstallReport } from '../../app/install.js';
import { type InstallOptions, parseInstallOptions } from '../install-options.js';
import { chooseReporter, envelope, writeDocument } from '../output.js';
import type { RawInstallOptions } from '../raw-options.js';
import { type CliIo, colorLevel, isSizedTerminal, type OutputStream } from '../render.js';
import { renderInstallReport } from './install-report.js';

/** Version of the `install` document. */
const INSTALL_DOCUMENT_VERSION = 1;

/** Not a terminal: a wait shows as one line, then one at most this often. */
const PLAIN_WAIT_LINE_MS = 15_000;

interface Waiter {
  update(text: string): void;
  stop(): void;
}

/** Progress for people: lines on `out`, and a spinner for the long waits when `out` is a terminal. */
async function makeProgress(io: CliIo, out: OutputStream, color: ChalkInstance, quiet: boolean): Promise<InstallProgress> {
  const spinner = isSizedTerminal(out) ? (await import('../spinner.js')).spinnerFactory({ stdout: out }) : undefined;
  return {
    done(description) {
      if (!quiet) out.write(`${color.green('✔')} ${description}\n`);
    },
    warn(message) {
      io.stderr.write(`${color.yellow('!')} ${message}\n`);
    },
    waiting(text): Waiter {
      if (spinner !== undefined) {
        const running = spinner(text).start();
        return {
          update: (next) => (running.text = next),
          stop: () => running.stop(),
        };
      }
      out.write(`… ${text}\n`);
      let last = Date.now();
      return {
        update(next) {
          if (Date.now() - last < PLAIN_WAIT_LINE_MS) return;
          last = Date.now();
          out.write(`… ${next}\n`);
        },
        stop() {},
      };
    },
  };
}

/** `install`'s reporter: a heading as it starts, then the report (human) or the one document (JSON). */
interface InstallReporter {
  started(options: InstallOptions): void;
  finished(report: InstallReport): void;
}

function humanInstallReporter(io: CliIo, color: ChalkInstance): InstallReporter {
  return {
    started(options) {
      io.stdout.write(
        `${color.bold(options.dryRun ? 'Plan for' : 'Installing')} ${color.cyan(options.name)}: webhook for ${options.repositories.join(', ')}\n`,
      );
    },
    finished: (report) => renderInstallReport(io.stdout, color, report),
  };
}

function jsonInstallReporter(io: CliIo): InstallReporter {
  return {
    started() {},
    finished: (report) => writeDocument(io, envelope('install', INSTALL_DOCUMENT_VERSION, report)),
  };
}

export async function runInstallCommand(raw: RawInstallOptions, io: CliIo, signal: AbortSignal): Promise<number> {
  const options = parseInstallOptions(raw, io.env);
  const { json, ...request } = options;
  const color = new Chalk({ level: json ? 0 : colorLevel(io, raw.color) });
  const reporter = chooseReporter(json, { human: () => humanInstallReporter(io, color), json: () => jsonInstallReporter(io) });
  // With --json, stdout carries the document alone: waits and warnings go to stderr.
  const progress = await makeProgress(io, json ? io.stderr : io.stdout, color, json);
  const { runInstall } = await import('../../app/install.js');
  reporter.started(options);
  reporter.finished(await runInstall({ ...request, signal, progress }));
  return 0;
}
