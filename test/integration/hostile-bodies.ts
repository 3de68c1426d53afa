// Hostile bodies: bytes that are not JSON, JSON cut short or nested past any parser's depth, the right fields
// with the wrong types, pushed_at literals JSON cannot carry, and sizes at and past the 64 KiB limit.
import fc from 'fast-check';
import { bySize, hostile, json, MAX, PUSHED_AT, push, sized } from './hostile-requests.js';

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

/** Each class of hostile body, with its weight in the corpus. */
export function bodyAttacks() {
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
  const oversized = fc
    .record({ size: fc.integer({ min: MAX + 1, max: 400_000 }), content: fc.constantFrom('valid', 'filler', 'nested') })
    .chain(({ size, content }) => {
      const body = content === 'valid' ? sized(size, 'acme/web') : content === 'filler' ? Buffer.alloc(size, 0x78) : Buffer.from('['.repeat(size));
      return hostile(`oversized ${content}`, body, 413);
    });

  return {
    randomBytes: { arbitrary: randomBytes, weight: 8 },
    randomText: { arbitrary: randomText, weight: 4 },
    truncated: { arbitrary: truncated, weight: 6 },
    truncatedUnicode: { arbitrary: truncatedUnicode, weight: 2 },
    nested: { arbitrary: nested, weight: 3 },
    wrongType: { arbitrary: wrongType, weight: 12 },
    infinity: { arbitrary: infinity, weight: 2 },
    huge: { arbitrary: huge, weight: 3 },
    boundary: { arbitrary: boundary, weight: 3 },
    oversized: { arbitrary: oversized, weight: 3 },
  };
}
