// Hostile routes: a valid push for an allowed repository behind a token one character off, a path near the
// route, or a method other than POST: only the route stands between such a request and a rollout.

import fc from 'fast-check';
import { hashToken } from '../../src/webhook/config.js';
import { hostile, json, push, route, TOKEN } from './hostile-requests.js';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Swaps one character of `text` for another from `alphabet`. */
const oneCharOff = (text: string, alphabet: string) =>
  fc.record({ at: fc.nat({ max: text.length - 1 }), by: fc.nat({ max: alphabet.length - 2 }) }).map(({ at, by }) => {
    const others = alphabet.replace(text[at] ?? '', '');
    return `${text.slice(0, at)}${others[by % others.length]}${text.slice(at + 1)}`;
  });

/** Each class of hostile route, with its weight in the corpus. */
export function routeAttacks() {
  const valid = json(push());

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

  return {
    tokenVariant: { arbitrary: tokenVariant, weight: 12 },
    wrongPath: { arbitrary: wrongPath, weight: 3 },
    wrongMethod: { arbitrary: wrongMethod, weight: 5 },
  };
}
