// The hostile-webhook corpus: the fixed cases every run sends, then CORPUS_SIZE drawn by fast-check from each
// attack class (hostile-bodies.ts, hostile-names.ts, hostile-routes.ts) with a logged seed that replays the run;
// and the checks both targets must pass: no AWS call, no token in any log line.
import type { ECSClient } from '@aws-sdk/client-ecs';
import fc from 'fast-check';
import { beforeAll, expect } from 'vitest';
import { type SandboxCall, sandboxControl } from '../sandbox/client.js';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { container, createCluster, createService, ecsClient, registerTaskDefinition } from './helpers.js';
import { bodyAttacks } from './hostile-bodies.js';
import { nameAttacks } from './hostile-names.js';
import { type Hostile, json, MAX, PUSHED_AT, push, route, sized, TOKEN } from './hostile-requests.js';
import { routeAttacks } from './hostile-routes.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
export const SEED = Number(process.env.HOSTILE_WEBHOOK_SEED ?? Date.now() % 2_147_483_647);
const CORPUS_SIZE = 1200;
/** Mutating ECS/IAM/Lambda actions: none may be called for a refused webhook. */
const MUTATING = /^(Register|Deregister|Update|Stop|Start|Run|Create|Delete|Tag|Untag|Put|Invoke)/;

console.log(`hostile webhooks: fast-check seed ${SEED} (HOSTILE_WEBHOOK_SEED=${SEED} to repeat)`);

function corpusArbitrary(): fc.Arbitrary<Hostile> {
  const bodies = bodyAttacks();
  const names = nameAttacks();
  const routes = routeAttacks();
  return fc.oneof(
    bodies.randomBytes,
    bodies.randomText,
    bodies.truncated,
    bodies.truncatedUnicode,
    bodies.nested,
    bodies.wrongType,
    bodies.infinity,
    bodies.huge,
    bodies.boundary,
    names.tagLimit,
    names.repoLimit,
    names.badGrammar,
    names.lookalike,
    names.metacharacter,
    names.traversalTag,
    routes.tokenVariant,
    routes.wrongPath,
    routes.wrongMethod,
    bodies.oversized,
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

export const corpus: Hostile[] = [...fixedCases(), ...fc.sample(corpusArbitrary(), { seed: SEED, numRuns: CORPUS_SIZE })];

/** What the token-bearing logs must never contain: the token, or a long piece of it (a near-miss token from the path). */
export function expectNoToken(text: string): void {
  expect(text.includes(TOKEN), 'the token is in a log line').toBe(false);
  for (const piece of [TOKEN.slice(0, 16), TOKEN.slice(14, 30), TOKEN.slice(-16)])
    expect(text.includes(piece), `a piece of the token (${piece}) is in a log line`).toBe(false);
}

export function summarise(results: { item: Hostile; status: number | string }[]): string {
  const counts = new Map<string, number>();
  for (const { status } of results) counts.set(String(status), (counts.get(String(status)) ?? 0) + 1);
  return [...counts].map(([status, count]) => `${status}×${count}`).join(' ');
}

export async function seedServices(ecs: ECSClient): Promise<string> {
  await createCluster(ecs, 'prod');
  const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
  await createService(ecs, 'prod', 'web', source, { desiredCount: 1 });
  await createService(ecs, 'prod', 'other', await registerTaskDefinition(ecs, 'other', [container('app', 'acme/other:1.0')]));
  return source;
}

/**
 * The estate both targets are attacked in: this file's sandbox, reset and seeded once before the file's tests
 * (seedServices), with its call log cleared so that any call the attacks cause shows. `source` is web's task
 * definition, which must not change.
 */
export function useSeededEstate(): { readonly endpoint: string; readonly sandbox: typeof sandbox; readonly ecs: ECSClient; readonly source: string } {
  const estate = { endpoint, sandbox, ecs: ecsClient(endpoint), source: '' };
  beforeAll(async () => {
    await sandbox.reset();
    estate.source = await seedServices(estate.ecs);
    await sandbox.clearCalls();
  });
  return estate;
}

export async function expectNoMutatingCall(): Promise<SandboxCall[]> {
  const calls = await sandbox.calls();
  expect(calls.filter((call) => MUTATING.test(call.action)).map((call) => call.action)).toEqual([]);
  // Stronger than the issue asks, and true of the receiver: a refused webhook makes no AWS call at all.
  expect(calls).toEqual([]);
  return calls;
}
