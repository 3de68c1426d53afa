// The one way tests start ecs-roll: the built CLI as a child process (runCli, spawnCli), `serve` as a child
// process whose JSON log lines are collected (ServeProcess), or the CLI in this process (runCliInProcess) for
// argument and usage checks that need no AWS and no process of their own.
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REGION } from './ecs.js';

/** The launcher users run (bin/ecs-roll → dist/cli/bin.js): `npm run build` first. */
export const CLI = fileURLToPath(new URL('../bin/ecs-roll', import.meta.url));

/** Dummy credentials: the sandbox accepts any, and nothing here may reach a real account. */
export const TEST_ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: REGION,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  // The images these tests roll out live in no registry, so the registry check is off, as --no-verify
  // would have it; test/integration/registry.test.ts turns it on against real registries on loopback.
  ECS_ROLL_VERIFY: 'false',
};

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Added to TEST_ENV; a key set to undefined is left out. */
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

export interface CliChild {
  readonly child: ChildProcess;
  readonly done: Promise<CliRun & { readonly signal: NodeJS.Signals | null; readonly ms: number }>;
}

/** The built CLI as a child process whose pid the caller has (to kill it or to interrupt it). */
export function spawnCli(args: readonly string[], options: CliOptions = {}): CliChild {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...TEST_ENV, ...options.env };
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const done = new Promise<CliRun & { signal: NodeJS.Signals | null; ms: number }>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
  return { child, done };
}

/** Runs the built CLI as a user would: a child process, its own environment, no terminal. */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  const { code, stdout, stderr } = await spawnCli(args, { timeoutMs: 90_000, ...options }).done;
  return { code, stdout, stderr };
}

/**
 * The CLI's main() in this process, with the environment runCli would give the child process. For arguments
 * and usage only: the AWS SDK reads credentials and config files from the real process.env, so anything that
 * reaches AWS belongs in an integration test with runCli.
 */
export async function runCliInProcess(args: readonly string[], options: Pick<CliOptions, 'env'> = {}): Promise<CliRun> {
  const { main } = await import('../src/cli/main.js');
  const merged: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...TEST_ENV, ...options.env };
  const env = Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
  });
  return { code, stdout, stderr };
}

export interface ServeOptions {
  readonly endpoint: string;
  readonly token: string;
  readonly repos?: string;
  /** Reused across a restart to test the journal; a fresh folder when left out. */
  readonly stateDir?: string;
  readonly extraArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/** `ecs-roll serve` as a child process; its JSON log lines are collected as they arrive. */
export class ServeProcess {
  readonly lines: Record<string, unknown>[] = [];
  /** stdout and stderr as they came, interleaved. */
  raw = '';
  stderr = '';
  private partial = '';
  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    readonly stateDir: string,
  ) {
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      this.raw += text;
      const parts = (this.partial + text).split('\n');
      this.partial = parts.pop() ?? '';
      for (const line of parts.filter((part) => part.trim() !== '')) {
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.lines.push({ unparsed: line });
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      this.raw += text;
      this.stderr += text;
    });
  }

  static async start(options: ServeOptions): Promise<{ serve: ServeProcess; base: string }> {
    const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'ecs-roll-serve-state-'));
    const child = spawn(
      process.execPath,
      [
        CLI,
        'serve',
        '--port',
        '0',
        '--endpoint-url',
        options.endpoint,
        '--poll-interval',
        '0.3',
        '--timeout',
        '30',
        '--state-dir',
        stateDir,
        ...(options.extraArgs ?? []),
      ],
      {
        env: { PATH: process.env.PATH, ...TEST_ENV, ECS_ROLL_TOKEN: options.token, ECS_ROLL_REPOS: options.repos ?? 'acme/web', ...options.env },
        stdio: 'pipe',
      },
    );
    const serve = new ServeProcess(child, stateDir);
    const listening = await serve.waitFor((line) => line.event === 'listening');
    const base = String(listening.url).replace('/hooks/dockerhub/<token>', '');
    return { serve, base };
  }

  async waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.lines.find(match);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no matching log line within ${timeoutMs} ms; output so far:\n${this.raw}`);
  }

  /** Waits until `count` lines of the given events have been logged since line `from`. */
  async waitForCount(events: readonly string[], count: number, from: number, timeoutMs = 30_000): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).filter((line) => events.includes(String(line.event)));
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`only ${found.length} of ${count} ${events.join('/')} lines within ${timeoutMs} ms:\n${this.raw}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Signals serve and answers its exit code once its output is closed (so `raw` and `stderr` are complete). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = once(this.child, 'close');
    this.child.kill(signal);
    const [code] = (await exited) as [number | null];
    return code;
  }
}
