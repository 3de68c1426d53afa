// Renders the top-level help at build time, so `ecs-roll --help` need not load commander.
import { writeFileSync } from 'node:fs';
import { buildProgram } from '../dist/cli/program.js';

const noop = { write: () => true };
const program = buildProgram({ io: { stdout: noop, stderr: noop, env: {} }, signal: new AbortController().signal, setExitCode() {} });
writeFileSync(new URL('../dist/cli/help.txt', import.meta.url), program.helpInformation());
