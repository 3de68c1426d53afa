// 5. `ecs-roll serve` under load: a small keep-alive load generator on loopback, bounded in requests and time.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { BENCH_ENV, CLI, percentile, progress } from './lib.js';

/** Allowed by the serve process, run by no service: each queued job is one ListClusters against an empty sandbox. */
const UNUSED_REPOSITORY = 'acme/bench-unused';
const TOKEN = randomBytes(32).toString('base64url');
const WRONG_TOKEN = randomBytes(32).toString('base64url');

function dockerHubPush(tag: string, pushedAt: number, repo: string): string {
  const [namespace, name] = repo.split('/');
  return JSON.stringify({
    callback_url: 'http://127.0.0.1:9/must-never-be-called',
    push_data: { pushed_at: pushedAt, pusher: 'ci', tag },
    repository: { repo_name: repo, namespace, name, is_private: true, status: 'Active', repo_url: `https://hub.docker.com/r/${repo}` },
  });
}

export interface LoadOptions {
  readonly requests: number;
  readonly seconds: number;
  readonly connections: number;
  readonly warmup: number;
}

export interface LoadResult {
  readonly name: string;
  readonly expected: number;
  readonly completed: number;
  readonly unexpected: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

interface Scenario {
  readonly name: string;
  readonly path: string;
  readonly body: string;
  readonly expected: number;
}

function post(agent: Agent, port: number, scenario: Scenario): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: scenario.path,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(scenario.body) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out after 10 s')));
    req.on('error', reject);
    req.end(scenario.body);
  });
}

/** Closed-loop load: `connections` workers, each sending its next request when the previous one is answered. */
async function load(port: number, scenario: Scenario, options: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  try {
    let warm = 0;
    await Promise.all(
      Array.from({ length: options.connections }, async () => {
        while (warm < options.warmup) {
          warm += 1;
          await post(agent, port, scenario);
        }
      }),
    );
    const latencies: number[] = [];
    let unexpected = 0;
    let started = 0;
    const begin = performance.now();
    const deadline = begin + options.seconds * 1000;
    await Promise.all(
      Array.from({ length: options.connections }, async () => {
        while (started < options.requests && performance.now() < deadline) {
          started += 1;
          const sent = performance.now();
          const status = await post(agent, port, scenario);
          latencies.push(performance.now() - sent);
          if (status !== scenario.expected) unexpected += 1;
        }
      }),
    );
    const seconds = (performance.now() - begin) / 1000;
    return {
      name: scenario.name,
      expected: scenario.expected,
      completed: latencies.length,
      unexpected,
      seconds,
      perSecond: latencies.length / seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: percentile(latencies, 100),
    };
  } finally {
    agent.destroy();
  }
}

class Serve {
  private output = '';
  readonly exited: Promise<unknown>;
  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      // Keep only the tail: every request logs a line.
      this.output = (this.output + text).slice(-65_536);
      this.finished += (text.match(/"event":"job-finished"/g) ?? []).length;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (this.output = (this.output + text).slice(-65_536)));
    this.exited = once(child, 'exit');
  }
  finished = 0;

  static async start(endpoint: string): Promise<{ serve: Serve; port: number }> {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--endpoint-url', endpoint, '--poll-interval', '0.5', '--timeout', '30'], {
      env: { ...BENCH_ENV, ECS_ROLL_TOKEN: TOKEN, ECS_ROLL_REPOS: UNUSED_REPOSITORY },
      stdio: 'pipe',
    });
    const serve = new Serve(child);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const listening = /"event":"listening","url":"http:\/\/[^"]*:(\d+)\//.exec(serve.output);
      if (listening?.[1] !== undefined) return { serve, port: Number(listening[1]) };
      if (child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    child.kill('SIGKILL');
    throw new Error(`ecs-roll serve did not start listening:\n${serve.output}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }

  tail(): string {
    return this.output.slice(-2000);
  }
}

export interface WebhookResult {
  readonly options: LoadOptions;
  readonly scenarios: readonly LoadResult[];
  readonly jobsFinished: number;
}

export async function measureWebhook(endpoint: string, options: LoadOptions): Promise<WebhookResult> {
  const { serve, port } = await Serve.start(endpoint);
  try {
    const scenarios: Scenario[] = [
      {
        name: 'valid push (202, rollout queued)',
        path: `/hooks/dockerhub/${TOKEN}`,
        body: dockerHubPush('2.0.0', 1_767_225_600, UNUSED_REPOSITORY),
        expected: 202,
      },
      {
        name: 'wrong token (404)',
        path: `/hooks/dockerhub/${WRONG_TOKEN}`,
        body: dockerHubPush('2.0.0', 1_767_225_600, UNUSED_REPOSITORY),
        expected: 404,
      },
      { name: 'bad body (400)', path: `/hooks/dockerhub/${TOKEN}`, body: '{"push_data":', expected: 400 },
    ];
    const results: LoadResult[] = [];
    for (const scenario of scenarios) {
      progress(`webhook: ${scenario.name}, up to ${options.requests} requests or ${options.seconds} s over ${options.connections} connections`);
      const result = await load(port, scenario, options);
      if (result.unexpected > 0) throw new Error(`${scenario.name}: ${result.unexpected} answers were not ${scenario.expected}\n${serve.tail()}`);
      results.push(result);
    }
    return { options, scenarios: results, jobsFinished: serve.finished };
  } finally {
    await serve.stop();
  }
}
