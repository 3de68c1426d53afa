// The webhook token is compared in constant time: both sides hashed to SHA-256, the digests compared with
// node:crypto's timingSafeEqual, in one place that every route with a token segment goes through.
import * as crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { hashToken } from '../../src/webhook/config.js';
import { receiveWebhook, tokenMatches } from '../../src/webhook/receiver.js';
import { route, TOKEN } from './hostile-requests.js';

// A spy around the real timingSafeEqual: the receiver must call it, on two digests of equal length.
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
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
