// Arguments and usage: the CLI's main() in this process, no AWS and no child process (test/cli.ts). Each case is
// refused, or answered, before any AWS call; the endpoint is a loopback port nothing listens on, so a case that
// did reach AWS would end in exit 3 (cannot reach AWS) and fail here. test/integration/cli.test.ts keeps the
// checks that need the built launcher (the help text rendered at build time, the version).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runCliInProcess as runCli, type CliRun } from '../cli.js';

const NOWHERE = 'http://127.0.0.1:9';
const json = (run: CliRun) => JSON.parse(run.stdout) as Record<string, unknown> & { error?: { code: string; message: string } };

describe('help and unknown commands', () => {
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

describe('exit codes of arguments', () => {
  it.each([
    { args: ['rollout', 'acme/web:1.1', '--strategy', 'replace', '--no-wait'], code: 2, text: 'cannot be combined with --no-wait' },
    { args: ['help'], code: 0, text: 'Usage: ecs-roll' },
    { args: ['help', 'rollout'], code: 0, text: '--expect-services' },
    { args: ['rollout', 'acme/web:', '--json'], code: 2, text: 'the tag after ":" is empty' },
  ])('$args exits $code', async ({ args, code, text }) => {
    const run = await runCli([...args, '--endpoint-url', NOWHERE]);
    expect(run.code).toBe(code);
    expect(run.stdout + run.stderr).toContain(text);
  });

  it('usage errors of commands without an image carry no hint about where the image goes; rollout --help says (default) once', async () => {
    const scale = await runCli(['scale', 'web', '--bogus']);
    expect(scale.code).toBe(2);
    expect(scale.stderr).toContain('run with --help for usage');
    expect(scale.stderr).not.toContain('the image goes before');
    const usage = await runCli(['rollout', 'acme/web:1.1', '--bogus', '--json']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('the image goes before');
    expect(json(usage)).toMatchObject({ kind: 'error', exitCode: 2, error: { code: 'usage' } });
    const help = await runCli(['rollout', '--help']);
    expect(help.stdout).not.toMatch(/\(default\)\s*\(default: true\)/);
  });

  it('status refuses --watch faster than every 10 s against AWS, before any call', async () => {
    const run = await runCli(['status', 'acme/web', '--watch', '--poll-interval', '1'], { env: { AWS_ENDPOINT_URL: undefined } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--poll-interval below 10 s is only allowed against an emulator/);
  });
});

describe('serve: the token', () => {
  const TOKEN = randomBytes(32).toString('base64url');
  it.each([
    ['on the command line', ['--token', TOKEN], {}, /process list.*--token-file/],
    [
      'with characters a URL path cannot carry',
      [],
      { ECS_ROLL_TOKEN: `${TOKEN.slice(0, 40)}/+=` },
      /URL-safe.*randomBytes\(32\)\.toString\('base64url'\)/,
    ],
    ['of one repeated character', [], { ECS_ROLL_TOKEN: 'a'.repeat(43) }, /different characters/],
  ])('refuses a token %s with exit 2', async (_, args, env, message) => {
    const run = await runCli(['serve', '--port', '0', '--endpoint-url', NOWHERE, ...args], { env: { ECS_ROLL_REPOS: 'acme/web', ...env } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toContain(TOKEN.slice(0, 40));
  });
});
