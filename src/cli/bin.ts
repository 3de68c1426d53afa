// The entry point bin/ecs-roll loads: the only module that touches signals, the standard streams' errors
// and the process's exit code. Everything it runs lives in main.ts, which tests import without these effects.
import { ExitCode } from '../core/errors.js';
import { main } from './main.js';
import type { CliIo } from './render.js';

const controller = new AbortController();
let interrupts = 0;
const interrupt = (signal: NodeJS.Signals) => {
  interrupts += 1;
  if (interrupts > 1) process.exit(ExitCode.interrupted);
  // A process manager's SIGTERM is not a person at a keyboard: only a Ctrl-C is told about a second Ctrl-C.
  const again = signal === 'SIGINT' ? ' (Ctrl-C again to exit at once)' : ` (${signal} again to exit at once)`;
  process.stderr.write(
    `\necs-roll: ${signal === 'SIGINT' ? 'interrupted' : `stopping on ${signal}`}; finishing the calls in flight and reporting${again}\n`,
  );
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
process.exitCode = await main(process.argv.slice(2), io, controller.signal);
