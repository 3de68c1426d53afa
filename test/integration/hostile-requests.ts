// The hostile-webhook tests' vocabulary: the token, Docker Hub's push body and ways to bend it, and the shape of
// one hostile request (sent the same way to the packaged Lambda handler and to `serve`).
import * as crypto from 'node:crypto';
import fc from 'fast-check';

export const TOKEN = crypto.randomBytes(32).toString('base64url');
export const MAX = 64 * 1024;

/** One hostile request, sent the same way to both targets. */
export interface Hostile {
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

export const PUSHED_AT = 1_767_225_600;
export function push(tag = '1.2.3', repo = 'acme/web', pushedAt: unknown = PUSHED_AT): Record<string, unknown> {
  const [namespace, name] = repo.split('/');
  return {
    callback_url: 'http://127.0.0.1:9/must-never-be-called',
    push_data: { pushed_at: pushedAt, pusher: 'ci', tag },
    repository: { repo_name: repo, namespace, name, is_private: true, status: 'Active' },
  };
}
export const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
/** A well-formed push for `repo`, padded to exactly `size` bytes. */
export function sized(size: number, repo: string): Buffer {
  const bare = Buffer.byteLength(JSON.stringify({ ...push('1.2.3', repo), padding: '' }));
  return json({ ...push('1.2.3', repo), padding: 'x'.repeat(Math.max(0, size - bare)) });
}
export const bySize = (body: Buffer, otherwise: number) => (body.length > MAX ? 413 : otherwise);
export const route = (token: string) => `/hooks/dockerhub/${token}`;

export const hostile = (kind: string, body: Buffer, expected: number, extra: Partial<Hostile> = {}) =>
  fc
    .record({ base64: fc.boolean(), chunked: fc.boolean() })
    .map(({ base64, chunked }): Hostile => ({ kind, method: 'POST', path: route(TOKEN), body, expected, base64, chunked, ...extra }));
