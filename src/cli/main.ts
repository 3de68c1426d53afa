import { readFile } from 'node:fs/promises';
import { ExitCode, isEcsRollError } from '../core/errors.js';
import type { CliIo } from './render.js';
import { packageVersion } from './version.js';

const INTERRUPTED = 130;
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

/** Runs the CLI and answers the exit code; nothing here or below calls process.exit. */
export async function runCli(argv: readonly string[], io: CliIo, signal: AbortSignal): Promise<number> {
  const quick = await quickAnswer(argv);
  if (quick !== undefined) {
    io.stdout.write(quick);
    return ExitCode.ok;
  }
  const [{ CommanderError }, { buildProgram }] = await Promise.all([import('commander'), import('./program.js')]);
  let exitCode: number = ExitCode.ok;
  const program = buildProgram({ io, signal, setExitCode: (code) => (exitCode = code) });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help that was asked for is a success; help shown because no command was given is a usage error.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? ExitCode.ok : ExitCode.usage;
    }
    if (isEcsRollError(error)) {
      io.stderr.write(`ecs-roll: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`ecs-roll: ${describeFailure(error)}\n`);
    return ExitCode.failed;
  }
}

/** The SDK's own words for the two set-up mistakes everyone makes first are too terse to act on. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message === 'Region is missing') return 'no AWS region: pass --region or set AWS_REGION (or a region in your profile)';
  if (error.name === 'CredentialsProviderError') {
    return `no AWS credentials found (${error.message}); set AWS_PROFILE or --profile, or the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY variables`;
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `cannot reach AWS (${error.message}); check --endpoint-url, AWS_ENDPOINT_URL and the network`;
  }
  return error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
}

// The entry point: the only place that touches signals and the process's exit code.
const controller = new AbortController();
let interrupts = 0;
const interrupt = () => {
  interrupts += 1;
  if (interrupts > 1) process.exit(INTERRUPTED);
  process.stderr.write('\necs-roll: interrupted; finishing the calls in flight and reporting (Ctrl-C again to exit at once)\n');
  controller.abort();
};
process.on('SIGINT', interrupt);
// Containers and process managers stop `serve` with SIGTERM.
process.on('SIGTERM', interrupt);

// A reader that goes away (`ecs-roll … | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env };
process.exitCode = await runCli(process.argv.slice(2), io, controller.signal);
