// Starts the ECS sandbox (sandbox.py: moto plus a model of ECS's service
// scheduler) as a child process and hands back its endpoint.
// A missing python3 or moto is a loud failure, never a skip.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sandboxControl, type RecordEntry, type SandboxCall } from './client.js';

export type { RecordEntry, SandboxCall } from './client.js';

export interface SandboxOptions {
  /** The loopback port to listen on (default 0: any free port). */
  port?: number;
  /** Seconds between scheduler ticks (default 0.2). */
  tickSeconds?: number;
  /** Run the scheduler thread (default true). */
  scheduler?: boolean;
  /** How long to wait for the ready line, in ms (default 20 000). */
  startTimeoutMs?: number;
  /** The Python interpreter (default $SANDBOX_PYTHON or python3). */
  python?: string;
}

export interface Sandbox {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  reset(): Promise<void>;
  calls(): Promise<SandboxCall[]>;
  record(): Promise<RecordEntry[]>;
  stop(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('./sandbox.py', import.meta.url));
const STDERR_KEEP = 16_384;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const python = options.python ?? process.env['SANDBOX_PYTHON'] ?? 'python3';
  const args = [SCRIPT, '--port', String(options.port ?? 0), '--tick', String(options.tickSeconds ?? 0.2)];
  if (options.scheduler === false) args.push('--no-scheduler');
  const timeoutMs = options.startTimeoutMs ?? 20_000;

  // stdin stays a pipe: when this process dies, the sandbox sees EOF and exits.
  const child = spawn(python, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP); // keep draining so the child never blocks
  });
  child.stdin.on('error', () => {}); // EPIPE after the child exits is expected

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const endpoint = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(
        new Error(
          `ECS sandbox did not start (${python} ${SCRIPT}): ${why}. ` +
            `It needs python3 with moto 5 installed (pip install 'moto[server]').\n--- stderr ---\n${stderr}`,
        ),
      );
    };
    const timer = setTimeout(() => fail(`no ready line within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (error) => fail(`could not run it: ${error.message}`));
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(`it exited (code ${code}, signal ${signal})`);
    child.once('exit', onExit);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      const line = stdout.slice(0, newline);
      try {
        const ready = JSON.parse(line) as { endpoint?: unknown };
        if (typeof ready.endpoint !== 'string') throw new Error('no endpoint');
        clearTimeout(timer);
        child.removeListener('exit', onExit);
        child.stdout.removeAllListeners('data');
        child.stdout.resume(); // keep draining
        resolve(ready.endpoint);
      } catch {
        fail(`unexpected first line ${JSON.stringify(line)}`);
      }
    });
  });

  const control = sandboxControl(endpoint);
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    reset: () => control.reset(),
    calls: () => control.calls(),
    record: () => control.record(),
    stop() {
      stopped ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.stdin.end();
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      })();
      return stopped;
    },
  };
}
