import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect } from 'vitest';
import { it, sandboxFile } from './fixtures.js';
import { startFaultProxy, type FaultProxy } from '../sandbox/fault-proxy.js';
import { container, createCluster, createService, imagesOf, registerTaskDefinition, runCli, serviceTaskDefinition } from './helpers.js';
import { ServeProcess, spawnCli } from '../cli.js';

const { endpoint, ecs } = sandboxFile();
it.override({ sandboxConfig: { tick: 0.1 } });
const TOKEN = randomBytes(32).toString('base64url');
const NOW = Math.floor(Date.now() / 1000);
const cleanup: (() => Promise<unknown>)[] = [];

const push = (tag: string, pushedAt: number, repo = 'acme/web') => ({ push_data: { pushed_at: pushedAt, tag }, repository: { repo_name: repo } });

async function seed() {
  await createCluster(ecs, 'prod');
  await createService(ecs, 'prod', 'web', await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]));
  await createService(ecs, 'prod', 'api', await registerTaskDefinition(ecs, 'api', [container('api', 'acme/api:1.0')]));
}

/** A proxy in front of the sandbox that holds every AWS call and never answers it; `held` counts the calls it holds. */
async function hangingProxy(): Promise<FaultProxy & { held(): number }> {
  let held = 0;
  const proxy = await startFaultProxy({
    target: endpoint,
    rate: 0,
    seed: 1,
    delayMs: [3_600_000, 3_600_001],
    decide: () => {
      held += 1;
      return 'delay';
    },
  });
  cleanup.push(() => proxy.close());
  return Object.assign(proxy, { held: () => held });
}

/** Sends raw bytes and collects what comes back until the server closes the connection. */
async function rawExchange(port: number, text: string): Promise<string> {
  const socket = createConnection(port, '127.0.0.1');
  let answer = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
  socket.on('error', () => {});
  socket.write(text);
  await once(socket, 'close');
  return answer;
}

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe('serve: the token before the body, and timeouts at their stated values', () => {
  it('answers a wrong token before the client sends a byte of its body', async () => {
    const { serve, base } = await ServeProcess.start({ endpoint, token: TOKEN });
    cleanup.push(() => serve.stop());
    const port = Number(new URL(base).port);
    const socket = createConnection(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    // Headers only: a 60 000-byte body is announced and never sent.
    socket.write(`POST /hooks/dockerhub/${TOKEN.slice(1)}x HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 60000\r\n\r\n`);
    while (!answer.includes('\r\n\r\n')) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    socket.destroy();
    await serve.waitFor((line) => line.event === 'webhook-unauthenticated');
    expect(serve.lines.find((line) => line.event === 'webhook-unauthenticated')).toMatchObject({
      status: 404,
      source: expect.stringMatching(/127\.0\.0\.1$/),
    });
  });

  // Node checks these timeouts every 30 s unless told otherwise; serve checks every second, so a client
  // that never finishes its headers is answered 408 and closed after 10 s, not after up to 40 s.
  it('closes a connection whose headers never finish with 408', { timeout: 25_000 }, async () => {
    const { serve, base } = await ServeProcess.start({ endpoint, token: TOKEN });
    cleanup.push(() => serve.stop());
    const answer = await rawExchange(Number(new URL(base).port), 'POST /hooks/dockerhub/x HTTP/1.1\r\nHost: x\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('serve: the journal', () => {
  it('keeps jobs answered 202 through kill -9 and replays them, coalesced, on the next start', async () => {
    await seed();
    const proxy = await hangingProxy();
    const first = await ServeProcess.start({ endpoint: proxy.url, token: TOKEN, repos: 'acme/web,acme/api' });
    cleanup.push(() => first.serve.stop('SIGKILL'));
    const post = (body: unknown) => fetch(`${first.base}/hooks/dockerhub/${TOKEN}`, { method: 'POST', body: JSON.stringify(body) });
    expect((await post(push('1.1', NOW - 40))).status).toBe(202);
    await first.serve.waitFor((line) => line.event === 'job-started');
    expect((await post(push('2.0', NOW - 30, 'acme/api'))).status).toBe(202);
    for (let minor = 2; minor <= 5; minor += 1) expect((await post(push(`1.${minor}`, NOW - 30 + minor))).status).toBe(202);
    // Three of the four waiting web pushes were superseded while they waited.
    expect(first.serve.lines.filter((line) => line.event === 'job-superseded')).toHaveLength(3);
    expect(await first.serve.stop('SIGKILL')).toBeNull();

    const second = await ServeProcess.start({ endpoint, token: TOKEN, repos: 'acme/web,acme/api', stateDir: first.serve.stateDir });
    cleanup.push(() => second.serve.stop());
    const journal = await second.serve.waitFor((line) => line.event === 'journal');
    expect(journal.replayed).toEqual([
      { image: 'acme/api:2.0', pushedAt: NOW - 30 },
      { image: 'acme/web:1.5', pushedAt: NOW - 25 },
    ]);
    expect(journal.superseded).toEqual(['acme/web:1.1']);
    await second.serve.waitFor((line) => line.event === 'job-finished' && line.job === 'acme/web:1.5');
    expect(await imagesOf(ecs, await serviceTaskDefinition(ecs, 'prod', 'web'))).toEqual({ web: 'acme/web:1.5' });
    expect(await imagesOf(ecs, await serviceTaskDefinition(ecs, 'prod', 'api'))).toEqual({ api: 'acme/api:2.0' });
    expect(readdirSync(join(first.serve.stateDir, 'serve-queue'))).toEqual([]);
  });

  it('on SIGTERM ends the running job (its hung AWS call bounded by --timeout) and keeps the waiting ones', async () => {
    await seed();
    const proxy = await hangingProxy();
    const { serve, base } = await ServeProcess.start({
      endpoint: proxy.url,
      token: TOKEN,
      repos: 'acme/web,acme/api',
      extraArgs: ['--timeout', '3'],
    });
    cleanup.push(() => serve.stop('SIGKILL'));
    const post = (body: unknown) => fetch(`${base}/hooks/dockerhub/${TOKEN}`, { method: 'POST', body: JSON.stringify(body) });
    expect((await post(push('1.1', NOW - 40))).status).toBe(202);
    await serve.waitFor((line) => line.event === 'job-started');
    expect((await post(push('2.0', NOW - 30, 'acme/api'))).status).toBe(202);

    expect(await serve.stop('SIGTERM')).toBe(0);
    expect(serve.lines.find((line) => line.event === 'stopping')).toMatchObject({ running: 'acme/web:1.1', kept: 1 });
    expect(serve.lines.find((line) => line.event === 'job-failed')).toMatchObject({
      job: 'acme/web:1.1',
      message: expect.stringContaining('--timeout'),
    });
    expect(serve.lines.filter((line) => line.event === 'job-started')).toHaveLength(1);
    expect(serve.lines.find((line) => line.event === 'stopped')).toMatchObject({ kept: 1 });
    expect(readdirSync(join(serve.stateDir, 'serve-queue'))).toHaveLength(1);
  });
});

describe('the CLI and an AWS call that never answers', () => {
  const rollout = (proxyUrl: string, ...args: string[]) =>
    spawnCli(['rollout', 'acme/web:1.1', '--endpoint-url', proxyUrl, '--poll-interval', '0.2', ...args], { timeoutMs: 600_000 });

  it('ends at --timeout with exit 1 and says why', async () => {
    await seed();
    const proxy = await hangingProxy();
    const { code, stderr } = await rollout(proxy.url, '--timeout', '3').done;
    expect(code).toBe(1);
    expect(stderr).toMatch(/did not finish within its 3 s \(--timeout/);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('is interrupted by %s during the call, with exit 130', async (signal) => {
    await seed();
    const proxy = await hangingProxy();
    const { child, done } = rollout(proxy.url, '--timeout', '600');
    cleanup.push(async () => child.exitCode === null && child.kill('SIGKILL'));
    while (proxy.held() === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill(signal);
    const { code } = await done;
    expect(code).toBe(130);
  });
});

describe('serve: the token', () => {
  it('reads the token from --token-file (one trailing newline allowed) and says so in --help', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'ecs-roll-token-'));
    const file = join(folder, 'token');
    writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
    const { serve, base } = await ServeProcess.start({ endpoint, token: '', extraArgs: ['--token-file', file], env: { ECS_ROLL_TOKEN: undefined } });
    cleanup.push(() => serve.stop());
    const answer = await fetch(`${base}/hooks/dockerhub/${TOKEN}`, { method: 'POST', body: JSON.stringify(push('1.1', NOW - 5, 'acme/other')) });
    expect(answer.status).toBe(403); // authenticated: the repository is simply not allowed
    const help = await runCli(['serve', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toMatch(
      /--token-file <path> .*Never pass the token itself as an argument.*not handed to child processes/,
    );
    expect(help.stdout).not.toMatch(/--token <token>/);
  });
});
