// The packaged receiver answers every HTTP event shape AWS sends it (REST API v1, HTTP API v2,
// Lambda function URLs, custom-domain base paths), refuses an event that is no request, and logs
// each unauthenticated request with its source address, rate-limited.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { hashToken } from '../../src/webhook/config.js';
import { UNAUTHENTICATED_LINES_PER_WINDOW } from '../../src/webhook/unauthenticated-log.js';
import { callPackagedHandler, useInvokeRecorder, usePackagedHandler } from './packaged-handler.js';

const TOKEN = randomBytes(32).toString('base64url');
const BODY = JSON.stringify({ push_data: { pushed_at: Math.floor(Date.now() / 1000) - 60, tag: '1.1' }, repository: { repo_name: 'acme/web' } });

const packaged = usePackagedHandler();
const recorder = useInvokeRecorder();

const env = () => ({
  ECS_ROLL_TOKEN_SHA256: hashToken(TOKEN),
  ECS_ROLL_REPOS: 'acme/web',
  ECS_ROLL_WORKER_FUNCTION: 'ecs-roll-worker',
  AWS_ENDPOINT_URL_LAMBDA: recorder.url,
});
const receive = (event: unknown) => callPackagedHandler<{ statusCode: number; body: string }>(packaged.folder, 'receive', event, env());

const restV1 = (path: string) => ({
  resource: '/hooks/dockerhub/{token}',
  path,
  httpMethod: 'POST',
  body: BODY,
  isBase64Encoded: false,
  requestContext: { stage: 'live', identity: { sourceIp: '203.0.113.10' } },
});
const httpV2 = (rawPath: string, routeKey = 'POST /hooks/dockerhub/{token}') => ({
  version: '2.0',
  routeKey,
  rawPath,
  rawQueryString: '',
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(BODY).toString('base64'),
  isBase64Encoded: true,
  requestContext: { http: { method: 'POST', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '198.51.100.20' }, stage: '$default' },
});

describe('the packaged receiver and the event shapes', () => {
  it.each([
    ['a REST API (payload 1.0) event', restV1(`/hooks/dockerhub/${TOKEN}`)],
    ['a REST API event through a custom domain with a base path', restV1(`/deploy/hooks/dockerhub/${TOKEN}`)],
    ['an HTTP API (payload 2.0) event on the $default stage', httpV2(`/hooks/dockerhub/${TOKEN}`)],
    ['an HTTP API event on a named stage', httpV2(`/live/hooks/dockerhub/${TOKEN}`)],
    [
      'a Lambda function URL event',
      {
        ...httpV2(`/hooks/dockerhub/${TOKEN}`, '$default'),
        requestContext: { accountId: 'anonymous', http: { method: 'POST', sourceIp: '192.0.2.30' } },
      },
    ],
  ])('answers 202 to a push in %s and hands the job over', async (_, event) => {
    const before = recorder.calls.length;
    const received = await receive(event);
    expect(received.result.statusCode).toBe(202);
    expect(JSON.parse(received.result.body)).toEqual({ status: 'accepted', image: 'acme/web:1.1' });
    expect(recorder.calls.length).toBe(before + 1);
    expect(JSON.parse(recorder.calls.at(-1)?.body ?? '{}')).toMatchObject({ image: 'acme/web:1.1' });
    expect(received.stdout).not.toContain(TOKEN);
  });

  it.each([[null], [42], ['POST /hooks']])('answers 400, not an error, to the event %j', async (event) => {
    const received = await receive(event);
    expect(received.result.statusCode).toBe(400);
  });

  it('logs a request without the token with its source address, and no more than the rate limit allows', async () => {
    const script = `
      const m = await import('./handler.mjs');
      for (let i = 0; i < 200; i += 1) {
        await m.receive({ version: '2.0', rawPath: '/hooks/dockerhub/guess' + i, body: '{}', requestContext: { http: { method: 'POST', sourceIp: '203.0.113.99' } } });
      }
    `;
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packaged.folder,
      env: { PATH: process.env.PATH, ...env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length).toBe(UNAUTHENTICATED_LINES_PER_WINDOW);
    for (const line of lines) expect(line).toMatchObject({ event: 'webhook-unauthenticated', status: 404, source: '203.0.113.99' });
    expect(stdout).not.toContain('guess');
  });
});
