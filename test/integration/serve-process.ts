import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_ENV } from './helpers.js';

const CLI = fileURLToPath(new URL('../../bin/ecs-roll', import.meta.url));

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
  raw = '';
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
    child.stderr.setEncoding('utf8').on('data', (text: string) => (this.raw += text));
  }

  static async start(options: ServeOptions): Promise<{ serve: ServeProcess; base: string }> {
    const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'ecs-roll-serve-state-'));
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--port', '0', '--endpoint-url', options.endpoint, '--poll-interval', '0.3', '--timeout', '30', '--state-dir', stateDir, ...(options.extraArgs ?? [])],
      { env: { PATH: process.env.PATH, ...TEST_ENV, ECS_ROLL_TOKEN: options.token, ECS_ROLL_REPOS: options.repos ?? 'acme/web', ...options.env }, stdio: 'pipe' },
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

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = once(this.child, 'exit');
    this.child.kill(signal);
    const [code] = (await exited) as [number | null];
    return code;
  }
}
