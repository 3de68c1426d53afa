import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ECSClient } from '@aws-sdk/client-ecs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { hashToken } from '../../src/webhook/config.js';
import { receiveWebhook, tokenMatches } from '../../src/webhook/receiver.js';
import { UNAUTHENTICATED_LINES_PER_WINDOW, UNAUTHENTICATED_WINDOW_MS } from '../../src/webhook/unauthenticated-log.js';
import { sandboxControl, type SandboxCall } from '../sandbox/client.js';
import {
  container,
  createCluster,
  createService,
  ecsClient,
  registerTaskDefinition,
  ServeProcess,
  serviceTaskDefinition,
  TEST_ENV,
} from './helpers.js';
import { useInvokeRecorder, usePackagedHandler } from './packaged-handler.js';

// A spy around the real timingSafeEqual: the receiver must call it, on two digests of equal length.
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
const TOKEN = crypto.randomBytes(32).toString('base64url');
const SEED = Number(process.env.HOSTILE_WEBHOOK_SEED ?? Date.now() % 2_147_483_647);
const CORPUS_SIZE = 1200;
const MAX = 64 * 1024;
/** Mutating ECS/IAM/Lambda actions: none may be called for a refused webhook. */
const MUTATING = /^(Register|Deregister|Update|Stop|Start|Run|Create|Delete|Tag|Untag|Put|Invoke)/;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const TAG_FIRST = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_';
const TAG_REST = `${TAG_FIRST}.-`;

console.log(`hostile webhooks: fast-check seed ${SEED} (HOSTILE_WEBHOOK_SEED=${SEED} to repeat)`);

/** One hostile request, sent the same way to both targets. */
interface Hostile {
  readonly kind: string;
  readonly method: string;
  /** The path as API Gateway hands it to the function (decoded); serve gets it percent-encoded. */
  readonly path: string;
  readonly body: Buffer;
  /** Lambda only: send the body base64-encoded with isBase64Encoded. */
  readonly base64: boolean;
  /** serve only: send without content-length (chunked). */
  readonly chunked: boolean;
  /** The exact status expected, where the category decides it. */
  readonly expected: number;
}

const PUSHED_AT = 1_767_225_600;
function push(tag = '1.2.3', repo = 'acme/web', pushedAt: unknown = PUSHED_AT): Record<string, unknown> {
  const [namespace, name] = repo.split('/');
  return {
    callback_url: 'http://127.0.0.1:9/must-never-be-called',
    push_data: { pushed_at: pushedAt, pusher: 'ci', tag },
    repository: { repo_name: repo, namespace, name, is_private: true, status: 'Active' },
  };
}
const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
/** A well-formed push for `repo`, padded to exactly `size` bytes. */
function sized(size: number, repo: string): Buffer {
  const bare = Buffer.byteLength(JSON.stringify({ ...push('1.2.3', repo), padding: '' }));
  return json({ ...push('1.2.3', repo), padding: 'x'.repeat(Math.max(0, size - bare)) });
}
const bySize = (body: Buffer, otherwise: number) => (body.length > MAX ? 413 : otherwise);
const route = (token: string) => `/hooks/dockerhub/${token}`;

const hostile = (kind: string, body: Buffer, expected: number, extra: Partial<Hostile> = {}) =>
  fc
    .record({ base64: fc.boolean(), chunked: fc.boolean() })
    .map(({ base64, chunked }): Hostile => ({ kind, method: 'POST', path: route(TOKEN), body, expected, base64, chunked, ...extra }));

const jsonOfType = (type: 'object' | 'string' | 'number' | 'other') =>
  fc.jsonValue({ maxDepth: 3 }).filter((value) => {
    const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    return type === 'other' ? true : actual !== type;
  });

/** Sets the value at a dotted path of a fresh push; undefined removes it. */
function pushWith(path: string, value: unknown): Record<string, unknown> {
  const body = push();
  if (path === '') return value as Record<string, unknown>;
  const parts = path.split('.');
  let at: Record<string, unknown> = body;
  for (const part of parts.slice(0, -1)) at = at[part] as Record<string, unknown>;
  at[parts.at(-1) ?? ''] = value;
  return body;
}

const LOOKALIKES: Record<string, string[]> = {
  a: ['\u0430', '\uff41', '\u0251'],
  c: ['\u0441', '\uff43', '\u217d'],
  e: ['\u0435', '\uff45'],
  m: ['\uff4d', '\u217f'],
  w: ['\uff57', '\u0461'],
  b: ['\uff42', '\u042c'],
  o: ['\u043e', '\uff4f'],
  '1': ['\uff11', '\u0661', '\u2460'],
  '2': ['\uff12', '\u0662'],
  '3': ['\uff13', '\u0663'],
  '.': ['\uff0e', '\u2024', '\u3002'],
  '/': ['\u2215', '\uff0f', '\u2044'],
};
const INVISIBLE = ['\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u202e', '\u2066', '\ufeff', '\u00ad'];
const METACHARACTERS = [
  ';',
  '|',
  '&&',
  '$(id)',
  '`id`',
  '>',
  '<',
  '\n',
  '\r\n',
  '\u0000',
  ' ',
  '\t',
  '/',
  '../',
  '..\\',
  '\\',
  '*',
  '?',
  '~',
  "'",
  '"',
  '%00',
  '%2e%2e%2f',
  '{',
  '}',
  '!',
  '#',
  '@',
  ':',
  '$IFS',
  '\u2028',
];
const TRAVERSALS = [
  '../../../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '....//....//etc',
  '/etc/passwd',
  'C:\\Windows\\win.ini',
  '1.2/../../..',
  '..',
  '.',
  '-rf',
  '--help',
];

/** Swaps one character of `text` for another from `alphabet`. */
const oneCharOff = (text: string, alphabet: string) =>
  fc.record({ at: fc.nat({ max: text.length - 1 }), by: fc.nat({ max: alphabet.length - 2 }) }).map(({ at, by }) => {
    const others = alphabet.replace(text[at] ?? '', '');
    return `${text.slice(0, at)}${others[by % others.length]}${text.slice(at + 1)}`;
  });

function corpusArbitrary(): fc.Arbitrary<Hostile> {
  const valid = json(push());
  const validText = valid.toString('utf8');

  const randomBytes = fc.uint8Array({ maxLength: 4096 }).chain((bytes) => hostile('random bytes', Buffer.from(bytes), 400));
  const randomText = fc.string({ unit: 'binary', maxLength: 2048 }).chain((text) => hostile('random text', Buffer.from(text, 'utf8'), 400));
  const truncated = fc.nat({ max: valid.length - 1 }).chain((cut) => hostile('truncated JSON', valid.subarray(0, cut), 400));
  const truncatedUnicode = fc.nat({ max: 200 }).chain((cut) => {
    const body = json(push('1.2.3', 'acme/web', PUSHED_AT))
      .toString()
      .replace('"ci"', '"\u00e9\u4e2d\ud83d\ude00\u00e9\u4e2d\ud83d\ude00"');
    return hostile('truncated UTF-8', Buffer.from(body, 'utf8').subarray(0, Math.min(cut, Buffer.byteLength(body) - 1)), 400);
  });
  const nested = fc
    .record({ depth: fc.integer({ min: 1000, max: 100_000 }), shape: fc.constantFrom('[', '{"a":', '[]', '{"a":}', 'field') })
    .chain(({ depth, shape }) => {
      let text: string;
      if (shape === '[]') text = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      else if (shape === '{"a":}') text = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      else if (shape === 'field')
        text = `{"repository":{"repo_name":${'['.repeat(depth)}${']'.repeat(depth)}},"push_data":{"tag":"1","pushed_at":${PUSHED_AT}}}`;
      else text = shape.repeat(depth);
      const body = Buffer.from(text);
      return hostile(`nested ${shape}`, body, bySize(body, 400));
    });
  const wrongType = fc
    .oneof(
      jsonOfType('object').map((value) => pushWith('', value)),
      jsonOfType('object').map((value) => pushWith('repository', value)),
      jsonOfType('object').map((value) => pushWith('push_data', value)),
      jsonOfType('string').map((value) => pushWith('repository.repo_name', value)),
      jsonOfType('string').map((value) => pushWith('push_data.tag', value)),
      jsonOfType('number').map((value) => pushWith('push_data.pushed_at', value)),
      fc
        .oneof(
          fc.integer({ max: 1_262_303_999 }),
          fc.maxSafeInteger().map((n) => 4_102_444_801 + Math.abs(n)),
          fc.double({ min: 4_102_444_801, noNaN: true }),
          fc.constant(-0),
        )
        .map((value) => pushWith('push_data.pushed_at', value)),
      fc
        .constantFrom('repository', 'push_data', 'repository.repo_name', 'push_data.tag', 'push_data.pushed_at')
        .map((path) => pushWith(path, undefined)),
    )
    .chain((value) => {
      const body = json(value);
      return hostile('wrong type', body, 400);
    });
  const infinity = fc
    .constantFrom('1e400', '-1e400', '1e999999', 'NaN', 'Infinity', '0x5f5e1000', '1_767_225_600', '"1767225600"')
    .chain((literal) => hostile('pushed_at literal', Buffer.from(validText.replace(String(PUSHED_AT), literal)), 400));
  const huge = fc
    .record({
      field: fc.constantFrom('repo', 'tag', 'pusher'),
      length: fc.integer({ min: 251, max: 80_000 }),
      char: fc.constantFrom('a', '1', '\u00e9', '\ud83d\ude00'),
    })
    .chain(({ field, length, char }) => {
      const text = char.repeat(length);
      const body = json(field === 'repo' ? push('1.2.3', `acme/${text}`) : field === 'tag' ? push(text) : { ...push('bad tag'), pusher: text });
      return hostile(`huge ${field}`, body, bySize(body, 400));
    });
  const boundary = fc.integer({ min: MAX - 40, max: MAX + 40 }).chain((size) => {
    const body = sized(size, 'acme/other');
    return hostile('near 64 KiB', body, bySize(body, 403));
  });
  const tagLimit = fc
    .record({
      length: fc.integer({ min: 120, max: 140 }),
      first: fc.constantFrom(...TAG_FIRST),
      rest: fc.string({ unit: fc.constantFrom(...TAG_REST), minLength: 140, maxLength: 140 }),
    })
    .chain(({ length, first, rest }) =>
      hostile(`tag of ${length}`, json(push(`${first}${rest}`.slice(0, length), 'acme/other')), length <= 128 ? 403 : 400),
    );
  const repoLimit = fc
    .record({ namespace: fc.integer({ min: 1, max: 250 }), total: fc.integer({ min: 250, max: 262 }) })
    .chain(({ namespace, total }) => {
      const name = Math.max(1, total - namespace - 1);
      const repo = `${'a'.repeat(namespace)}/${'b'.repeat(name)}`;
      return hostile(`repository of ${repo.length}`, json(push('1.2.3', repo)), repo.length <= 255 ? 403 : 400);
    });
  const badGrammar = fc
    .constantFrom(
      'acme',
      'acme/',
      '/web',
      'acme//web',
      'acme/web/extra',
      'Acme/web',
      'acme/Web',
      'acme/-web',
      'acme/web-',
      'acme/we..b',
      'acme/web_',
      'docker.io/acme/web',
      'acme/web:1.2',
      'acme/web@sha256:00',
      ' acme/web',
      'acme/web ',
    )
    .chain((repo) => hostile('repository grammar', json(push('1.2.3', repo)), 400));
  const lookalike = fc
    .record({ field: fc.constantFrom('repo', 'tag'), at: fc.nat(), pick: fc.nat(), mode: fc.constantFrom('replace', 'insert') })
    .chain(({ field, at, pick, mode }) => {
      const original = field === 'repo' ? 'acme/web' : '1.2.3';
      const index = at % original.length;
      const char = original[index] ?? 'a';
      const choices = mode === 'replace' ? (LOOKALIKES[char] ?? INVISIBLE) : INVISIBLE;
      const replacement = choices[pick % choices.length] ?? '\u200b';
      const changed =
        mode === 'replace'
          ? `${original.slice(0, index)}${replacement}${original.slice(index + 1)}`
          : `${original.slice(0, index)}${replacement}${original.slice(index)}`;
      return hostile(`look-alike ${field}`, json(field === 'repo' ? push('1.2.3', changed) : push(changed)), 400);
    });
  const metacharacter = fc
    .record({
      at: fc.nat({ max: 5 }),
      meta: fc.constantFrom(...METACHARACTERS, ...TRAVERSALS.filter((t) => !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(t))),
    })
    .chain(({ at, meta }) => {
      const tag = `${'1.2.3'.slice(0, at)}${meta}${'1.2.3'.slice(at)}`;
      // Some insertions ("1...2.3", "1-rf.2.3") are valid Docker tags: those go to a repository outside the allow-list.
      const valid = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag);
      return hostile('metacharacter tag', json(push(tag, valid ? 'acme/other' : 'acme/web')), valid ? 403 : 400);
    });
  const traversalTag = fc.constantFrom(...TRAVERSALS).chain((tag) => {
    const valid = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag);
    // A tag that is valid Docker grammar ("-rf" is not: it starts with '-') would be accepted for acme/web; use a refused repository.
    return hostile('traversal tag', json(push(tag, valid ? 'acme/other' : 'acme/web')), valid ? 403 : 400);
  });
  const tokenVariant = fc
    .oneof(
      oneCharOff(TOKEN, BASE64URL).map((token) => route(token)),
      fc.constant(route('')),
      fc.constant('/hooks/dockerhub'),
      fc.constant('/hooks/dockerhub//'),
      fc.constant(`${route(TOKEN)}/${TOKEN}`),
      fc.constant(route(`${TOKEN}${TOKEN}`)),
      fc.constant(route(TOKEN.slice(0, -1))),
      fc.constant(route(TOKEN.slice(1))),
      fc.constantFrom(...BASE64URL).map((char) => route(`${TOKEN}${char}`)),
      fc.constant(route(TOKEN.toUpperCase())),
      fc.constant(route(TOKEN.toLowerCase())),
      fc.constant(`/Hooks/dockerhub/${TOKEN}`),
      fc.constant(`/hooks/DockerHub/${TOKEN}`),
      fc.constant(`/hooks/github/${TOKEN}`),
      fc.constant(`/hook/dockerhub/${TOKEN}`),
      fc.constant(`/${TOKEN}`),
      fc.constant(`/hooks/dockerhub/${TOKEN}/..`),
      fc.constant(`/hooks/dockerhub/${TOKEN}/x`),
      fc.constant(`//hooks/dockerhub/${TOKEN}`),
      // A stage or custom-domain base path before the route is allowed (API Gateway sends those); these are not.
      fc.constant(`/live/hooks/dockerhub/${TOKEN}x`),
      fc.constant(`/a/b/c/d/e/hooks/dockerhub/${TOKEN}`),
      fc.constant(`/live/${TOKEN}/hooks/dockerhub/`),
      fc.constantFrom('%00', '%2F', '%2f', ';', '%20', ' ', '\u200b', '\ufeff', '.', '..').map((suffix) => route(`${TOKEN}${suffix}`)),
      fc
        .record({ at: fc.nat({ max: TOKEN.length - 1 }), lookalike: fc.constantFrom('\u0430', '\u0435', '\u043e', '\uff41', '\u200d', '\u202e') })
        .map(({ at, lookalike }) => route(`${TOKEN.slice(0, at)}${lookalike}${TOKEN.slice(at + 1)}`)),
      fc
        .nat({ max: TOKEN.length - 1 })
        .map((at) => route(`${TOKEN.slice(0, at)}%${TOKEN.charCodeAt(at).toString(16).toUpperCase()}${TOKEN.slice(at + 1)}`)),
    )
    .chain((path) =>
      fc.record({ method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH') }).chain(({ method }) =>
        // A valid push for an allowed repository: only the path stands between it and a rollout.
        hostile('token variant', method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : valid, 404, { path, method }),
      ),
    );
  const wrongPath = fc
    .constantFrom(
      '/',
      '/hooks',
      '/hooks/',
      '/favicon.ico',
      '/hooks/dockerhub/../../etc/passwd',
      '/.env',
      '/hooks/dockerhub/%2e%2e/%2e%2e/etc/passwd',
      '/admin',
      '/hooks/dockerhub/<token>',
      '/hooks/dockerhub/undefined',
      '/hooks/dockerhub/null',
      `/hooks/dockerhub/${hashToken(TOKEN)}`,
    )
    .chain((path) => hostile('wrong path', valid, 404, { path }));
  const wrongMethod = fc
    .constantFrom('GET', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE')
    .chain((method) =>
      hostile('wrong method', method === 'GET' || method === 'HEAD' || method === 'TRACE' ? Buffer.alloc(0) : valid, 405, { method }),
    );
  const oversized = fc
    .record({ size: fc.integer({ min: MAX + 1, max: 400_000 }), content: fc.constantFrom('valid', 'filler', 'nested') })
    .chain(({ size, content }) => {
      const body = content === 'valid' ? sized(size, 'acme/web') : content === 'filler' ? Buffer.alloc(size, 0x78) : Buffer.from('['.repeat(size));
      return hostile(`oversized ${content}`, body, 413);
    });

  return fc.oneof(
    { arbitrary: randomBytes, weight: 8 },
    { arbitrary: randomText, weight: 4 },
    { arbitrary: truncated, weight: 6 },
    { arbitrary: truncatedUnicode, weight: 2 },
    { arbitrary: nested, weight: 3 },
    { arbitrary: wrongType, weight: 12 },
    { arbitrary: infinity, weight: 2 },
    { arbitrary: huge, weight: 3 },
    { arbitrary: boundary, weight: 3 },
    { arbitrary: tagLimit, weight: 4 },
    { arbitrary: repoLimit, weight: 3 },
    { arbitrary: badGrammar, weight: 3 },
    { arbitrary: lookalike, weight: 8 },
    { arbitrary: metacharacter, weight: 8 },
    { arbitrary: traversalTag, weight: 2 },
    { arbitrary: tokenVariant, weight: 12 },
    { arbitrary: wrongPath, weight: 3 },
    { arbitrary: wrongMethod, weight: 5 },
    { arbitrary: oversized, weight: 3 },
  );
}

/** Fixed cases the issue names, in every run whatever the seed draws. */
function fixedCases(): Hostile[] {
  const base = { method: 'POST', path: route(TOKEN), base64: false, chunked: false };
  const cases: Hostile[] = [
    { ...base, kind: '100k [', body: Buffer.from('['.repeat(100_000)), expected: 413 },
    { ...base, kind: '60k [', body: Buffer.from('['.repeat(60_000)), expected: 400 },
    { ...base, kind: '32k [] balanced', body: Buffer.from(`${'['.repeat(32_000)}${']'.repeat(32_000)}`), expected: 400 },
    { ...base, kind: 'exactly 64 KiB', body: sized(MAX, 'acme/other'), expected: 403 },
    { ...base, kind: '64 KiB + 1', body: sized(MAX + 1, 'acme/other'), expected: 413 },
    { ...base, kind: '64 KiB + 1 chunked', body: sized(MAX + 1, 'acme/web'), expected: 413, chunked: true },
    { ...base, kind: 'empty body', body: Buffer.alloc(0), expected: 400 },
    { ...base, kind: 'empty body base64', body: Buffer.alloc(0), expected: 400, base64: true },
    { ...base, kind: 'repeated token', path: `${route(TOKEN)}/${TOKEN}`, body: json(push()), expected: 404 },
    { ...base, kind: 'tag of 128', body: json(push(`v${'1'.repeat(127)}`, 'acme/other')), expected: 403 },
    { ...base, kind: 'tag of 129', body: json(push(`v${'1'.repeat(128)}`)), expected: 400 },
    { ...base, kind: 'repository of 255', body: json(push('1.2.3', `${'a'.repeat(127)}/${'b'.repeat(127)}`)), expected: 403 },
    { ...base, kind: 'repository of 256', body: json(push('1.2.3', `${'a'.repeat(128)}/${'b'.repeat(127)}`)), expected: 400 },
    { ...base, kind: 'BOM before JSON', body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(push('1;id'))]), expected: 400 },
    { ...base, kind: 'UTF-16 JSON', body: Buffer.from(JSON.stringify(push()), 'utf16le'), expected: 400 },
    {
      ...base,
      kind: 'overlong UTF-8 slash',
      body: Buffer.from(JSON.stringify(push()).replace('acme/web', 'acme\u0000web').replace('\\u0000', '\u00c0\u00af'), 'latin1'),
      expected: 400,
    },
    { ...base, kind: 'lone surrogate', body: Buffer.from(JSON.stringify(push()).replace('1.2.3', '1.2.3\\ud800')), expected: 400 },
    {
      ...base,
      kind: 'proto pollution',
      body: Buffer.from(
        `{"__proto__":{"repository":{"repo_name":"acme/web"}},"constructor":{"prototype":{"tag":"1"}},"push_data":{"tag":"1.2.3","pushed_at":${PUSHED_AT}}}`,
      ),
      expected: 400,
    },
    {
      ...base,
      kind: 'duplicate keys, last wins invalid',
      body: Buffer.from(`{"repository":{"repo_name":"acme/web","repo_name":"acme/web;id"},"push_data":{"tag":"1.2.3","pushed_at":${PUSHED_AT}}}`),
      expected: 400,
    },
  ];
  for (const method of ['GET', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH']) {
    cases.push({ ...base, kind: `method ${method}`, method, body: Buffer.alloc(0), expected: 405 });
    cases.push({
      ...base,
      kind: `method ${method}, wrong token`,
      method,
      path: route(`${TOKEN.slice(0, -1)}${TOKEN.endsWith('A') ? 'B' : 'A'}`),
      body: Buffer.alloc(0),
      expected: 404,
    });
  }
  return cases;
}

const corpus: Hostile[] = [...fixedCases(), ...fc.sample(corpusArbitrary(), { seed: SEED, numRuns: CORPUS_SIZE })];

/** What the token-bearing logs must never contain: the token, or a long piece of it (a near-miss token from the path). */
function expectNoToken(text: string): void {
  expect(text.includes(TOKEN), 'the token is in a log line').toBe(false);
  for (const piece of [TOKEN.slice(0, 16), TOKEN.slice(14, 30), TOKEN.slice(-16)])
    expect(text.includes(piece), `a piece of the token (${piece}) is in a log line`).toBe(false);
}

function summarise(results: { item: Hostile; status: number | string }[]): string {
  const counts = new Map<string, number>();
  for (const { status } of results) counts.set(String(status), (counts.get(String(status)) ?? 0) + 1);
  return [...counts].map(([status, count]) => `${status}×${count}`).join(' ');
}

async function seedServices(ecs: ECSClient): Promise<string> {
  await createCluster(ecs, 'prod');
  const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
  await createService(ecs, 'prod', 'web', source, { desiredCount: 1 });
  await createService(ecs, 'prod', 'other', await registerTaskDefinition(ecs, 'other', [container('app', 'acme/other:1.0')]));
  return source;
}

async function expectNoMutatingCall(): Promise<SandboxCall[]> {
  const calls = await sandbox.calls();
  expect(calls.filter((call) => MUTATING.test(call.action)).map((call) => call.action)).toEqual([]);
  // Stronger than the issue asks, and true of the receiver: a refused webhook makes no AWS call at all.
  expect(calls).toEqual([]);
  return calls;
}

let ecs: ECSClient;
let source: string;

beforeAll(async () => {
  ecs = ecsClient(endpoint);
  await sandbox.reset();
  source = await seedServices(ecs);
  await sandbox.clearCalls();
});

describe('token comparison', () => {
  it('hashes both sides and compares equal-length digests with node:crypto timingSafeEqual', async () => {
    const text = await readFile(fileURLToPath(new URL('../../src/webhook/receiver.ts', import.meta.url)), 'utf8');
    expect(text).toMatch(/import \{[^}]*\btimingSafeEqual\b[^}]*\} from 'node:crypto'/);
    const body = /export function tokenMatches\([^)]*\): boolean \{([\s\S]*?)\n\}/.exec(text)?.[1] ?? '';
    expect(body).toContain("createHash('sha256')");
    expect(body).toContain('timingSafeEqual(');
    expect(body).not.toMatch(/candidate\s*[!=]==|[!=]==\s*candidate|\.startsWith\(|\.localeCompare\(/);
    expect(text.match(/tokenMatches\(/g)?.length, 'the token is checked in one place only').toBe(2);

    const spy = vi.mocked(crypto.timingSafeEqual);
    const expected = hashToken(TOKEN);
    const candidates = [
      '',
      'x',
      TOKEN.slice(0, -1),
      `${TOKEN.slice(0, -1)}${TOKEN.endsWith('A') ? 'B' : 'A'}`,
      TOKEN.repeat(40),
      '\u0430'.repeat(43),
      TOKEN,
    ];
    for (const candidate of candidates) {
      spy.mockClear();
      expect(tokenMatches(candidate, expected)).toBe(candidate === TOKEN);
      expect(spy, JSON.stringify(candidate.slice(0, 20))).toHaveBeenCalledTimes(1);
      const [a, b] = spy.mock.calls[0] ?? [];
      expect(Buffer.isBuffer(a) && Buffer.isBuffer(b)).toBe(true);
      expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
    }
    // Through the receiver too: every path with a token segment goes through the constant-time check.
    spy.mockClear();
    const config = {
      tokenSha256: expected,
      repositories: ['docker.io/acme/web'],
      policy: { kind: 'any' },
      clusters: [],
      strategy: 'rolling',
      timeoutSeconds: 30,
      pollIntervalSeconds: 1,
    } as const;
    for (const candidate of candidates) receiveWebhook({ method: 'POST', path: route(candidate || 'x'), body: Buffer.from('{}') }, config as never);
    expect(spy).toHaveBeenCalledTimes(candidates.length);
  });
});

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
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(source);
  });
});

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
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(source);
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
