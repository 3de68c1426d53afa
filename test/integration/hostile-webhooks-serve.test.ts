// `ecs-roll serve` against the hostile-webhook corpus (hostile-corpus.ts) over keep-alive: every request answered
// with a 4xx, no rollout, no AWS call, no token in any log line; CONNECT answered too, and a clean SIGTERM.
import { once } from 'node:events';
import { Agent, request as httpRequest } from 'node:http';
import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNAUTHENTICATED_LINES_PER_WINDOW, UNAUTHENTICATED_WINDOW_MS } from '../../src/webhook/unauthenticated-log.js';
import { ServeProcess, serviceTaskDefinition } from './helpers.js';
import { corpus, expectNoMutatingCall, expectNoToken, SEED, summarise, useSeededEstate } from './hostile-corpus.js';
import { type Hostile, route, TOKEN } from './hostile-requests.js';

const estate = useSeededEstate();
const { endpoint, sandbox, ecs } = estate;

describe('ecs-roll serve', () => {
  let serve: ServeProcess;
  let port = 0;

  beforeAll(async () => {
    await sandbox.clearCalls();
    const started = await ServeProcess.start({ endpoint, token: TOKEN, extraArgs: ['--poll-interval', '0.3', '--timeout', '10'] });
    serve = started.serve;
    port = Number(new URL(started.base).port);
    expect(port, serve.raw).toBeGreaterThan(0);
  });

  afterAll(async () => {
    await serve.stop();
  });

  /** API Gateway decodes the path; over HTTP it goes percent-encoded, as a client would send it. */
  const wirePath = (path: string) => path.replace(/[^\x21-\x7e]|[<>"`{}|\\^]/gu, (char) => encodeURIComponent(char));

  function send(agent: Agent, item: Hostile): Promise<{ status: number | string; contentType?: string | undefined; body: string }> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        request.destroy();
        resolve({ status: 'hang', body: '' });
      }, 10_000);
      const headers: Record<string, string | number> = { 'content-type': 'application/json' };
      if (item.body.length > 0) {
        if (item.chunked) headers['transfer-encoding'] = 'chunked';
        else headers['content-length'] = item.body.length;
      }
      const request = httpRequest({ host: '127.0.0.1', port, method: item.method, path: wirePath(item.path), agent, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          clearTimeout(timer);
          resolve({
            status: response.statusCode ?? 'none',
            contentType: response.headers['content-type'],
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      });
      request.on('error', (error) => {
        clearTimeout(timer);
        resolve({ status: `error ${error.message}`, body: '' });
      });
      if (item.body.length > 0) request.write(item.body);
      request.end();
    });
  }

  it(`answers every one of ${corpus.length} hostile requests with a 4xx over keep-alive, runs no rollout and logs no token`, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 12 });
    const results: { item: Hostile; status: number | string; contentType?: string | undefined; body: string }[] = [];
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        for (let index = next++; index < corpus.length; index = next++) {
          const item = corpus[index] as Hostile;
          results[index] = { item, ...(await send(agent, item)) };
        }
      }),
    );
    agent.destroy();
    console.log(`serve: ${corpus.length} requests in ${Date.now() - started} ms: ${summarise(results)}`);

    const wrong = results
      .map((result, index) => ({ index, kind: result.item.kind, method: result.item.method, status: result.status, expected: result.item.expected }))
      .filter(({ status, expected }) => status !== expected);
    expect(wrong, `seed ${SEED}`).toEqual([]);
    for (const result of results) {
      expect(result.contentType).toBe('application/json');
      if (result.item.method !== 'HEAD') expect(() => JSON.parse(result.body)).not.toThrow();
      else expect(result.body).toBe('');
    }
    expect(serve.child.exitCode).toBeNull();

    // Give any stray job a moment to show itself before checking that nothing ran.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const lines = serve.raw
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { event?: string; status?: number; source?: string });
    expect(
      lines.filter(
        (line) => !['journal', 'listening', 'webhook', 'webhook-unauthenticated', 'webhook-unauthenticated-suppressed'].includes(line.event ?? ''),
      ),
    ).toEqual([]);
    // Requests with the token are logged one line each; those without it (404) with their source, rate-limited.
    expect(
      lines
        .filter((line) => line.event === 'webhook')
        .map((line) => line.status)
        .sort(),
    ).toEqual(
      results
        .map((result) => result.status)
        .filter((status) => status !== 404)
        .sort(),
    );
    const unauthenticated = lines.filter((line) => line.event === 'webhook-unauthenticated');
    const windows = Math.ceil((Date.now() - started) / UNAUTHENTICATED_WINDOW_MS) + 1;
    expect(unauthenticated.length).toBeGreaterThan(0);
    expect(unauthenticated.length).toBeLessThanOrEqual(
      Math.min(results.filter((result) => result.status === 404).length, UNAUTHENTICATED_LINES_PER_WINDOW * windows),
    );
    for (const line of unauthenticated) expect(line.source).toMatch(/127\.0\.0\.1$/);
    expectNoToken(serve.raw);
    await expectNoMutatingCall();
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(estate.source);
  });

  // CONNECT never reaches an HTTP server's request handler: without a 'connect' listener node drops
  // the connection without a word. serve answers it like any other method.
  it('answers CONNECT with 405 on the route and 404 elsewhere, instead of dropping the connection', async () => {
    await sandbox.clearCalls();
    const raw = async (target: string) => {
      const socket = createConnection(port, '127.0.0.1');
      let text = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      socket.on('error', () => {});
      socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      await Promise.race([once(socket, 'close'), new Promise((resolve) => setTimeout(resolve, 5000))]);
      socket.destroy();
      return text;
    };
    const onRoute = await raw(route(TOKEN));
    expect(onRoute).toMatch(/^HTTP\/1\.1 405 /);
    expect(onRoute).toMatch(/content-type: application\/json/i);
    expect(onRoute).toContain('{"error":"method not allowed; use POST"}');
    expect(await raw('127.0.0.1:443')).toMatch(/^HTTP\/1\.1 404 /);
    expect(await raw(route(`${TOKEN}x`))).toMatch(/^HTTP\/1\.1 404 /);
    await expectNoMutatingCall();
  });

  it('stops cleanly on SIGTERM, with the token in no log line', async () => {
    const code = await serve.stop('SIGTERM');
    expect(code).toBe(0);
    expectNoToken(serve.raw);
  });
});
