import { readFile } from 'node:fs/promises';
import { ExitCode } from '../core/errors.js';
import { classifyFailure, errorDocument, type Failure } from './failure.js';
import type { CliIo } from './render.js';
import { packageVersion } from './version.js';

/** Top-level help, rendered by commander at build time (scripts/render-help.mjs). */
const PRERENDERED_HELP = new URL('./help.txt', import.meta.url);

/**
 * `--version` and top-level `--help` are answered without loading commander, which is most of
 * the start-up time: they are what people and scripts run most often to check the tool is there.
 */
async function quickAnswer(argv: readonly string[]): Promise<string | undefined> {
  if (argv.length !== 1) return undefined;
  if (argv[0] === '--version' || argv[0] === '-v') return `${packageVersion()}\n`;
  if (argv[0] === '--help' || argv[0] === '-h') return readFile(PRERENDERED_HELP, 'utf8').catch(() => undefined);
  return undefined;
}

/**
 * Runs the CLI with these arguments (without node and the script) and answers the exit code. Importing this
 * module does nothing, and nothing here or below calls process.exit, so tests run the CLI in-process; bin.ts
 * is the entry point that owns signals and the process's exit code.
 */
export async function main(argv: readonly string[], io: CliIo, signal: AbortSignal = new AbortController().signal): Promise<number> {
  const quick = await quickAnswer(argv);
  if (quick !== undefined) {
    io.stdout.write(quick);
    return ExitCode.ok;
  }
  const [{ CommanderError }, { buildProgram }] = await Promise.all([import('commander'), import('./program.js')]);
  let exitCode: number = ExitCode.ok;
  const program = buildProgram({ io, signal, setExitCode: (code) => (exitCode = code) });
  const json = argv.includes('--json');
  const fail = (failure: Failure): number => {
    // A script that asked for JSON gets a document it can parse even when the run never started.
    if (json) io.stdout.write(`${JSON.stringify(errorDocument(failure), null, 2)}\n`);
    return failure.exitCode;
  };
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help that was asked for (`--help`, `help`, `help <command>`) is a success; help shown because
      // no command was given, and every parse error, is a usage error. Commander has printed the words.
      if (error.exitCode === 0) return ExitCode.ok;
      return fail({ exitCode: ExitCode.usage, code: 'usage', message: error.message.replace(/^error: /, '') });
    }
    const failure = classifyFailure(error);
    io.stderr.write(`ecs-roll: ${failure.message}\n`);
    return fail(failure);
  }
}
