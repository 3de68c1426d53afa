import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { runCli } from './helpers.js';

const silent = { write: () => true };

describe('the built CLI answers --help and --version without loading commander (subcommand help and usage errors: test/unit/cli-usage.test.ts)', () => {
  it('prints exactly the help commander renders', async () => {
    const program = buildProgram({ io: { stdout: silent, stderr: silent, env: {} }, signal: new AbortController().signal, setExitCode() {} });
    for (const flag of ['--help', '-h']) {
      const run = await runCli([flag]);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(program.helpInformation());
    }
  });

  it('prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const run = await runCli([flag]);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(`${version}\n`);
    }
  });
});
