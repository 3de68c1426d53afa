// Hostile tags and repository names: lengths at and past Docker's limits, broken grammar, look-alike and
// invisible letters, shell metacharacters and path traversals, each in an otherwise valid push.
import fc from 'fast-check';
import { hostile, json, push } from './hostile-requests.js';

const TAG_FIRST = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_';
const TAG_REST = `${TAG_FIRST}.-`;

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

/** Each class of hostile tag or repository name, with its weight in the corpus. */
export function nameAttacks() {
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

  return {
    tagLimit: { arbitrary: tagLimit, weight: 4 },
    repoLimit: { arbitrary: repoLimit, weight: 3 },
    badGrammar: { arbitrary: badGrammar, weight: 3 },
    lookalike: { arbitrary: lookalike, weight: 8 },
    metacharacter: { arbitrary: metacharacter, weight: 8 },
    traversalTag: { arbitrary: traversalTag, weight: 2 },
  };
}
