// Shared pieces of the benchmark: statistics, timed child processes, the machine's description.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI = fileURLToPath(new URL('../bin/ecs-roll', import.meta.url));

/** Dummy credentials: the sandbox accepts any, and nothing here may reach a real account. */
export const BENCH_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  NO_COLOR: '1',
  // The registry check (one request to the image's registry per run) would leave loopback for docker.io; the
  // bench counts and times the ECS calls, so it is off, as `--no-verify` would have it.
  ECS_ROLL_VERIFY: 'false',
};

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export interface Timed {
  readonly ms: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Peak resident set size in KiB, when measured. */
  readonly maxRssKiB?: number;
}

let gnuTime: boolean | undefined;
/** GNU time (`/usr/bin/time -f`) reports a child's peak RSS from the kernel; it is used when present. */
export function hasGnuTime(): boolean {
  if (gnuTime === undefined) {
    const probe = spawnSync('/usr/bin/time', ['-f', '%M', 'true'], { encoding: 'utf8' });
    gnuTime = probe.status === 0 && /^\d+\s*$/m.test(probe.stderr);
  }
  return gnuTime;
}

/** Node preload used when GNU time is missing: the process reports its own peak RSS at exit. */
const RSS_PRELOAD =
  'data:text/javascript,' +
  encodeURIComponent(
    'import{writeSync}from"node:fs";process.on("exit",()=>{try{writeSync(2,"\\nBENCH_MAXRSS_KIB="+process.resourceUsage().maxRSS+"\\n")}catch{}});',
  );
const TIME_MARK = 'BENCH_MAXRSS_KIB=';

/**
 * Runs a command to completion and times it from spawn to exit (wall clock).
 * With `rss`, the child's peak RSS is measured as well.
 */
export function timedRun(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; rss?: boolean } = {},
): Promise<Timed> {
  let file = command;
  let argv = [...args];
  if (options.rss === true) {
    if (hasGnuTime()) {
      argv = ['-f', `${TIME_MARK}%M`, command, ...args];
      file = '/usr/bin/time';
    } else if (command === process.execPath) {
      argv = ['--import', RSS_PRELOAD, ...args];
    }
  }
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, argv, { env: options.env ?? BENCH_ENV, cwd: options.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', () => {
      // The exit time is the process's; the streams may still be draining.
      const ms = performance.now() - started;
      child.on('close', (code) => {
        clearTimeout(timer);
        const mark = stderr.lastIndexOf(TIME_MARK);
        let maxRssKiB: number | undefined;
        if (mark !== -1) {
          maxRssKiB = Number.parseInt(stderr.slice(mark + TIME_MARK.length), 10);
          stderr = stderr.slice(0, mark).replace(/\n$/, '');
        }
        resolve({ ms, code, stdout, stderr, ...(maxRssKiB === undefined || Number.isNaN(maxRssKiB) ? {} : { maxRssKiB }) });
      });
    });
  });
}

/** Runs every variant `rounds` times, interleaved (the order rotates each round), and returns all durations per variant. */
export async function interleaved(variants: readonly { name: string; run: () => Promise<Timed> }[], rounds: number): Promise<Map<string, number[]>> {
  const times = new Map<string, number[]>(variants.map((variant) => [variant.name, []]));
  // One untimed warm-up each: the first run pays for the disk cache.
  for (const variant of variants) await variant.run();
  for (let round = 0; round < rounds; round += 1) {
    for (let i = 0; i < variants.length; i += 1) {
      const variant = variants[(round + i) % variants.length] as (typeof variants)[number];
      const result = await variant.run();
      if (result.code !== 0) throw new Error(`${variant.name} exited with ${result.code}: ${result.stderr.slice(0, 2000)}`);
      times.get(variant.name)?.push(result.ms);
    }
  }
  return times;
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memory: string;
  readonly node: string;
  readonly os: string;
  readonly moto: string;
}

export function describeMachine(): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (model?.[1] !== undefined) cpu = model[1].trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  const python = process.env['SANDBOX_PYTHON'] ?? 'python3';
  const moto = spawnSync(python, ['-c', 'import moto; print(moto.__version__)'], { encoding: 'utf8' });
  const uname = spawnSync('uname', ['-sr'], { encoding: 'utf8' });
  return {
    cpu,
    cores: cpus().length,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    os: uname.status === 0 ? uname.stdout.trim() : process.platform,
    moto: moto.status === 0 ? moto.stdout.trim() : 'unknown',
  };
}

export const ms = (value: number): string => `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ms`;
export const ratio = (value: number): string => `${value.toFixed(2)}×`;
export const pct = (value: number): string => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}%`;

/** Prints progress to stderr, so stdout carries only the results. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
