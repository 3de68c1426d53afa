import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { runCli } from './helpers.js';

const silent = { write: () => true };

describe('the built CLI answers --help and --version without loading commander', () => {
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

  it('still gives subcommand help and refuses unknown commands with exit 2', async () => {
    const help = await runCli(['rollout', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--strategy <strategy>');
    const nothing = await runCli([]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('Usage: ecs-roll');
    const unknown = await runCli(['rollot', 'acme/web:1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command/);
  });
});
