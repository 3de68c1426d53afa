import { describe, expect, it } from 'vitest';
import { normaliseHttpEvent } from '../../src/lambda/http-event.js';
import { tokenProblem } from '../../src/webhook/token.js';
import { createUnauthenticatedLog, UNAUTHENTICATED_LINES_PER_WINDOW, UNAUTHENTICATED_WINDOW_MS } from '../../src/webhook/unauthenticated-log.js';

describe('tokenProblem', () => {
  it.each([
    ['base64url, 43 characters', 'k3Jx9Q2mV7pL0sT4wY8zA1bC5dE6fG7hI8jK9lM0nOp', undefined],
    ['hex, 64 characters', '3f9a1c0e7b52d84f6a0c9e1b7d3f5a2c8e4b6d0f1a3c5e7b9d2f4a6c8e0b1d3f', undefined],
    ['standard base64 with / + =', 'k3Jx9Q2mV7pL0sT4wY8z/1bC5dE6fG7hI8jK9lM0n+p=', 'URL-safe'],
    ['a trailing newline', 'k3Jx9Q2mV7pL0sT4wY8zA1bC5dE6fG7hI8jK9lM0nOp\n', 'URL-safe'],
    ['a space', 'k3Jx9Q2mV7pL0sT4wY8z A1bC5dE6fG7hI8jK9lM0nOp', 'URL-safe'],
    ['too short', 'k3Jx9Q2mV7pL0sT4wY8zA1b', 'at least 32'],
    ['32 identical characters', 'a'.repeat(32), 'different characters'],
    ['a short repeated pattern', 'abcdefgh'.repeat(6), 'different characters'],
  ])('%s', (_, token, expected) => {
    const problem = tokenProblem(token);
    if (expected === undefined) expect(problem).toBeUndefined();
    else {
      expect(problem).toContain(expected);
      expect(problem).toContain('randomBytes(32)');
      expect(problem).not.toContain(token.trim());
    }
  });
});

describe('normaliseHttpEvent', () => {
  const token = '/hooks/dockerhub/T';
  it.each([
    [
      'REST API (payload 1.0)',
      {
        resource: '/hooks/dockerhub/{token}',
        path: token,
        httpMethod: 'POST',
        body: '{}',
        isBase64Encoded: false,
        requestContext: { identity: { sourceIp: '203.0.113.7' } },
      },
      { method: 'POST', path: token, sourceIp: '203.0.113.7', format: 'rest-v1' },
    ],
    [
      'REST API through a custom domain with a base path',
      { path: `/ci${token}`, httpMethod: 'POST', body: '{}', requestContext: { identity: { sourceIp: '203.0.113.7' } } },
      { method: 'POST', path: `/ci${token}`, format: 'rest-v1' },
    ],
    [
      'HTTP API (payload 2.0)',
      {
        version: '2.0',
        routeKey: 'POST /hooks/dockerhub/{token}',
        rawPath: `/live${token}`,
        body: 'e30=',
        isBase64Encoded: true,
        requestContext: { http: { method: 'POST', path: `/live${token}`, sourceIp: '198.51.100.4' } },
      },
      { method: 'POST', path: `/live${token}`, sourceIp: '198.51.100.4', isBase64Encoded: true, format: 'http-v2' },
    ],
    [
      'a Lambda function URL',
      {
        version: '2.0',
        routeKey: '$default',
        rawPath: token,
        body: '{}',
        isBase64Encoded: false,
        requestContext: { accountId: 'anonymous', http: { method: 'POST', sourceIp: '192.0.2.1' } },
      },
      { method: 'POST', path: token, sourceIp: '192.0.2.1', format: 'http-v2' },
    ],
    [
      'fields of the wrong type',
      { path: [token], httpMethod: ['POST'], requestContext: { identity: { sourceIp: 7 } } },
      { method: '', path: '', sourceIp: undefined },
    ],
  ])('reads %s', (_, event, expected) => {
    expect(normaliseHttpEvent(event)).toMatchObject(expected);
  });

  it.each([[null], [undefined], [42], ['text'], [[1, 2]]])('refuses %j as no HTTP request', (event) => {
    expect(normaliseHttpEvent(event)).toBeUndefined();
  });
});

describe('createUnauthenticatedLog', () => {
  it('writes a few lines a window with the source, then counts the rest in one line', () => {
    const lines: Record<string, unknown>[] = [];
    let now = 0;
    const log = createUnauthenticatedLog(
      (fields) => lines.push(fields),
      () => now,
    );
    for (let index = 0; index < 1000; index += 1) log({ status: 404, method: 'POST', source: '203.0.113.9' });
    expect(lines).toHaveLength(UNAUTHENTICATED_LINES_PER_WINDOW);
    expect(lines[0]).toMatchObject({ event: 'webhook-unauthenticated', status: 404, source: '203.0.113.9' });
    now += UNAUTHENTICATED_WINDOW_MS;
    log({ status: 404, method: 'GET', source: undefined });
    expect(lines.slice(-2)).toEqual([
      expect.objectContaining({ event: 'webhook-unauthenticated-suppressed', count: 1000 - UNAUTHENTICATED_LINES_PER_WINDOW }),
      expect.objectContaining({ event: 'webhook-unauthenticated', source: 'unknown' }),
    ]);
  });
});
