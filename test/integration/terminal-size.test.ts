// A pseudo-terminal with no size (0 columns, 0 rows) is what `script`, `docker run -t` from a
// non-terminal and some CI runners give a program. A spinner that divides by the width never ends
// there, so the CLI must treat it as no terminal: plain lines, the timeout honoured, Ctrl-C heard.
// Real pseudo-terminals, through python3's pty module (test/integration/pty-run.py).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect } from 'vitest';
import { it, sandboxFile } from './fixtures.js';
import { container, createCluster, createService, registerTaskDefinition, serviceTaskDefinition, TEST_ENV } from './helpers.js';

const { endpoint, sandbox, ecs } = sandboxFile();
const CLI = fileURLToPath(new URL('../../bin/ecs-roll', import.meta.url));
const PTY_RUN = fileURLToPath(new URL('./pty-run.py', import.meta.url));

interface PtyRun {
  code: number | null;
  killed: boolean;
  interrupted: boolean;
  output: string;
}

/** The CLI on a pseudo-terminal of cols × rows; killed after deadlineSeconds if it has not ended. */
function onTerminal(
  cols: number,
  rows: number,
  args: string[],
  options: { deadlineSeconds?: number; interruptAfter?: string } = {},
): Promise<PtyRun> {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color', ...TEST_ENV };
  const argv = [
    PTY_RUN,
    String(cols),
    String(rows),
    String(options.deadlineSeconds ?? 60),
    options.interruptAfter ?? '',
    '--',
    process.execPath,
    CLI,
    ...args,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('python3', argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(stdout) as PtyRun);
      } catch {
        reject(new Error(`pty-run.py answered ${stdout.slice(0, 200)} ${stderr.slice(0, 500)}`));
      }
    });
  });
}

/** Cursor movement, line clearing and cursor hiding: what a spinner redraws with. Colours are fine. */
const CURSOR_CONTROL = /\u001b\[(\d*[ABCDGK]|\?25[lh])/;

beforeEach(async () => {
  await createCluster(ecs, 'prod');
  const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
  await createService(ecs, 'prod', 'web', source, { desiredCount: 2 });
});

describe('on a pseudo-terminal without a size', () => {
  it('rollout ends, exits 0 and prints plain lines', async () => {
    const run = await onTerminal(0, 0, ['rollout', 'acme/web:1.1', '--poll-interval', '0.3', '--timeout', '60', '--endpoint-url', endpoint]);
    expect(run.killed).toBe(false);
    expect(run.code).toBe(0);
    expect(run.output).toContain('prod/web done');
    expect(run.output).toMatch(/prod\/web: 2\/2 running on the new revision/);
    expect(run.output).not.toMatch(CURSOR_CONTROL);
    expect(run.output.length).toBeLessThan(20_000);
  });

  it('rollout honours --timeout: exit 1 when the deployment cannot finish', async () => {
    await sandbox.config({ paused: true });
    const run = await onTerminal(0, 0, [
      'rollout',
      'acme/web:1.1',
      '--poll-interval',
      '0.3',
      '--timeout',
      '2',
      '--no-rollback',
      '--endpoint-url',
      endpoint,
    ]);
    expect(run.killed).toBe(false);
    expect(run.code).toBe(1);
    expect(run.output).toContain('TIMED OUT');
    expect(run.output).not.toMatch(CURSOR_CONTROL);
  });

  it('rollout hears Ctrl-C while waiting: exit 130', async () => {
    await sandbox.config({ paused: true });
    const run = await onTerminal(0, 0, ['rollout', 'acme/web:1.1', '--poll-interval', '0.3', '--timeout', '600', '--endpoint-url', endpoint], {
      interruptAfter: 'Waiting for deployments',
    });
    expect(run.interrupted).toBe(true);
    expect(run.killed).toBe(false);
    expect(run.code).toBe(130);
    expect(run.output).toContain('interrupted');
  });

  it('scale ends, exits 0 and prints plain lines', async () => {
    const run = await onTerminal(0, 0, [
      'scale',
      'prod/web',
      '--count',
      '3',
      '--poll-interval',
      '0.3',
      '--timeout',
      '60',
      '--endpoint-url',
      endpoint,
    ]);
    expect(run.killed).toBe(false);
    expect(run.code).toBe(0);
    expect(run.output).toContain('prod/web: 3/3 running');
    expect(run.output).not.toMatch(CURSOR_CONTROL);
  });
});

describe('on a pseudo-terminal with a size', () => {
  it('rollout shows the spinner and ends with exit 0', async () => {
    const run = await onTerminal(100, 30, ['rollout', 'acme/web:1.1', '--poll-interval', '0.3', '--timeout', '60', '--endpoint-url', endpoint]);
    expect(run.killed).toBe(false);
    expect(run.code).toBe(0);
    expect(run.output).toMatch(CURSOR_CONTROL);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toMatch(/web:2$/);
  });
});
