// The GitHub Action's entry point (bundled to action/dist/index.mjs): the only part of the action that
// touches signals and the process's exit code.
import type { CliIo } from '../cli/render.js';
import { errorCommand } from './github.js';
import { runAction } from './run.js';

const controller = new AbortController();
let interrupts = 0;
// Cancelling a run sends SIGINT, then SIGTERM: the first stops waiting and reports what was changed.
const interrupt = () => {
  interrupts += 1;
  if (interrupts > 1) process.exit(130);
  process.stderr.write('ecs-roll: interrupted; finishing the calls in flight and reporting\n');
  controller.abort();
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env };
try {
  process.exitCode = await runAction(io, controller.signal);
} catch (error) {
  // A fault in the action itself: still an annotation, never a silent green step.
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stdout.write(errorCommand(`ecs-roll: ${message}`));
  process.exitCode = 1;
}
