// The packaged Lambda handler against the hostile-webhook corpus (hostile-corpus.ts): every event answered with
// a 4xx within 5 s, nothing handed to the worker, no AWS call, no token in any log line.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashToken } from '../../src/webhook/config.js';
import { UNAUTHENTICATED_LINES_PER_WINDOW, UNAUTHENTICATED_WINDOW_MS } from '../../src/webhook/unauthenticated-log.js';
import { serviceTaskDefinition, TEST_ENV } from './helpers.js';
import { corpus, expectNoMutatingCall, expectNoToken, SEED, summarise, useSeededEstate } from './hostile-corpus.js';
import { type Hostile, MAX, push, route, TOKEN } from './hostile-requests.js';
import { useInvokeRecorder, usePackagedHandler } from './packaged-handler.js';

const estate = useSeededEstate();
const { endpoint, ecs } = estate;

describe('the packaged Lambda handler', () => {
  const packaged = usePackagedHandler();
  const recorder = useInvokeRecorder();

  it(`answers every one of ${corpus.length} hostile events with a 4xx, hands nothing over and logs no token`, async () => {
    const events = corpus.map((item) => ({
      resource: '/hooks/dockerhub/{token}',
      path: item.path,
      httpMethod: item.method,
      headers: { 'Content-Type': 'application/json' },
      requestContext: { stage: 'live', httpMethod: item.method },
      body: item.base64 ? item.body.toString('base64') : item.body.toString('utf8'),
      isBase64Encoded: item.base64,
    }));
    // Events whose own fields have the wrong types: API Gateway never sends these, the handler must still answer.
    const odd: { event: unknown; expected: number }[] = [
      { event: { path: route(TOKEN), httpMethod: 'POST', body: { repository: {} } }, expected: 400 },
      { event: { path: route(TOKEN), httpMethod: 'POST', body: 12 }, expected: 400 },
      { event: { path: route(TOKEN), httpMethod: 'POST', body: null }, expected: 400 },
      { event: { path: route(TOKEN), httpMethod: 'POST', body: JSON.stringify(push('1;id')), isBase64Encoded: 'true' }, expected: 400 },
      { event: { path: route(TOKEN), httpMethod: 'POST', body: '!!!not base64!!!', isBase64Encoded: true }, expected: 400 },
      { event: { path: route(TOKEN), httpMethod: 'POST', body: 'x'.repeat(MAX * 2 + 1), isBase64Encoded: true }, expected: 413 },
      { event: { path: route(TOKEN), httpMethod: 'POST', body: '\u00e9'.repeat(MAX / 2 + 1) }, expected: 413 },
      { event: { path: route(TOKEN), body: JSON.stringify(push()) }, expected: 405 },
      { event: { httpMethod: 'POST', body: JSON.stringify(push()) }, expected: 404 },
      { event: { path: route(TOKEN), httpMethod: ['POST'], body: JSON.stringify(push()) }, expected: 405 },
      { event: { path: route(TOKEN), httpMethod: 'post', body: JSON.stringify(push()) }, expected: 405 },
      { event: {}, expected: 404 },
      // An array whose text is the route must not pass for the route.
      { event: { path: [route(TOKEN)], httpMethod: 'POST', body: JSON.stringify(push()) }, expected: 404 },
    ];
    const all = [...events, ...odd.map((item) => item.event)];
    const eventsFile = join(packaged.folder, 'events.jsonl');
    await writeFile(eventsFile, `${all.map((event) => JSON.stringify(event)).join('\n')}\n`);
    const resultsFile = join(packaged.folder, 'results.jsonl');

    // One process answers every event in turn; each answer must come within 5 s.
    const script = `
      import { readFileSync, writeFileSync } from 'node:fs';
      const m = await import('./handler.mjs');
      const out = [];
      for (const line of readFileSync(${JSON.stringify(eventsFile)}, 'utf8').split('\\n')) {
        if (line === '') continue;
        let timer;
        const hang = new Promise((resolve) => { timer = setTimeout(() => resolve({ statusCode: 'hang' }), 5000); });
        let result;
        try { result = await Promise.race([m.receive(JSON.parse(line)), hang]); } catch (error) { result = { statusCode: 'threw', error: String(error) }; }
        clearTimeout(timer);
        out.push(JSON.stringify({ statusCode: result.statusCode, headers: result.headers, body: result.body }));
      }
      writeFileSync(${JSON.stringify(resultsFile)}, out.join('\\n'));
    `;
    const started = Date.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packaged.folder,
      env: {
        PATH: process.env.PATH,
        ...TEST_ENV,
        ECS_ROLL_TOKEN_SHA256: hashToken(TOKEN),
        ECS_ROLL_REPOS: 'acme/web',
        ECS_ROLL_WORKER_FUNCTION: 'ecs-roll-worker',
        AWS_ENDPOINT_URL_LAMBDA: recorder.url,
        AWS_ENDPOINT_URL: endpoint,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(killer);
    expect(code, stderr.slice(0, 2000)).toBe(0);
    expect(stderr).toBe('');

    const results = (await readFile(resultsFile, 'utf8'))
      .split('\n')
      .map((line) => JSON.parse(line) as { statusCode: number | string; headers?: Record<string, string>; body?: string });
    expect(results).toHaveLength(all.length);
    const expected = [...corpus.map((item) => item.expected), ...odd.map((item) => item.expected)];
    const labels = [...corpus.map((item) => item.kind), ...odd.map((_, index) => `odd event ${index}`)];
    const wrong = results
      .map((result, index) => ({ index, kind: labels[index], status: result.statusCode, expected: expected[index] }))
      .filter(({ status, expected: want }) => status !== want);
    expect(wrong, `seed ${SEED}`).toEqual([]);
    for (const result of results) {
      expect(typeof result.statusCode === 'number' && result.statusCode >= 400 && result.statusCode < 500).toBe(true);
      expect(result.headers?.['content-type']).toBe('application/json');
      expect(() => JSON.parse(result.body ?? '')).not.toThrow();
    }
    console.log(
      `Lambda handler: ${all.length} events in ${Date.now() - started} ms: ${summarise(results.map((r, i) => ({ item: corpus[i] as Hostile, status: r.statusCode })))}`,
    );

    expect(recorder.calls).toEqual([]);
    // One line per request with the token; those without it (404) are logged with their source, rate-limited.
    const lines = stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { event?: string; source?: string });
    const notFound = results.filter((result) => result.statusCode === 404).length;
    expect(lines.filter((line) => line.event === 'webhook')).toHaveLength(all.length - notFound);
    const unauthenticated = lines.filter((line) => line.event === 'webhook-unauthenticated');
    expect(unauthenticated.length).toBeGreaterThan(0);
    expect(unauthenticated.length).toBeLessThanOrEqual(
      Math.min(notFound, UNAUTHENTICATED_LINES_PER_WINDOW * (Math.ceil((Date.now() - started) / UNAUTHENTICATED_WINDOW_MS) + 1)),
    );
    expect(lines.filter((line) => !['webhook', 'webhook-unauthenticated', 'webhook-unauthenticated-suppressed'].includes(line.event ?? ''))).toEqual(
      [],
    );
    expectNoToken(stdout + stderr);
    await expectNoMutatingCall();
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(estate.source);
  });
});
