import { describe, expect, it } from 'vitest';
import { ExitCode, UsageError } from '../../src/core/errors.js';
import {
  InvalidImageReferenceError,
  formatVersion,
  parseImageReference,
  parseTargetImage,
  retag,
  tryParseImageReference,
} from '../../src/core/image-ref.js';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const ECR = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

describe('parseImageReference: normalisation as Docker does', () => {
  it.each([
    'nginx',
    'library/nginx',
    'docker.io/library/nginx',
    'docker.io/nginx',
    'index.docker.io/library/nginx',
    'index.docker.io/nginx',
    'registry-1.docker.io/library/nginx',
    'nginx:1.27',
    `nginx@${DIGEST}`,
  ])('%s is docker.io/library/nginx', (input) => {
    const reference = parseImageReference(input);
    expect(reference.repository).toBe('docker.io/library/nginx');
    expect(reference.registry).toBe('docker.io');
    expect(reference.path).toBe('library/nginx');
  });

  it.each([
    { input: 'acme/web', repository: 'docker.io/acme/web' },
    { input: 'acme/webhook', repository: 'docker.io/acme/webhook' },
    { input: `${ECR}/acme/web`, repository: `${ECR}/acme/web` },
    { input: 'ghcr.io/acme/web', repository: 'ghcr.io/acme/web' },
    { input: 'localhost/foo', repository: 'localhost/foo' },
    { input: 'localhost:5000/foo', repository: 'localhost:5000/foo' },
    { input: 'a/b/c/d', repository: 'docker.io/a/b/c/d' },
  ])('$input is repository $repository', ({ input, repository }) => {
    expect(parseImageReference(input).repository).toBe(repository);
  });

  it('tells apart repositories that merely share a prefix or a path', () => {
    const repositories = ['acme/web', 'acme/webhook', `${ECR}/acme/web`, 'acme/web/api'].map((input) => parseImageReference(input).repository);
    expect(new Set(repositories).size).toBe(repositories.length);
  });

  it('keeps host with port, tag and digest of localhost:5000/ns/repo:tag@digest', () => {
    expect(parseImageReference(`localhost:5000/ns/repo:tag@${DIGEST}`)).toEqual({
      original: `localhost:5000/ns/repo:tag@${DIGEST}`,
      name: 'localhost:5000/ns/repo',
      registry: 'localhost:5000',
      path: 'ns/repo',
      repository: 'localhost:5000/ns/repo',
      tag: 'tag',
      digest: DIGEST,
    });
  });

  it.each([
    { input: 'registry.example.com:443/team/app', registry: 'registry.example.com:443', tag: undefined },
    { input: 'registry.example.com:443/team/app:7', registry: 'registry.example.com:443', tag: '7' },
    { input: 'localhost:5000/foo', registry: 'localhost:5000', tag: undefined },
  ])('a colon in the host of $input is a port, not a tag', ({ input, registry, tag }) => {
    const reference = parseImageReference(input);
    expect(reference.registry).toBe(registry);
    expect(reference.tag).toBe(tag);
  });

  it('keeps an IPv6 host with its port', () => {
    const reference = parseImageReference('[::1]:5000/foo:1');
    expect(reference).toMatchObject({ registry: '[::1]:5000', path: 'foo', repository: '[::1]:5000/foo', tag: '1', name: '[::1]:5000/foo' });
    expect(parseImageReference('[::1]/foo')).toMatchObject({ registry: '[::1]', path: 'foo' });
    expect(() => parseImageReference('[::1]:port/foo')).toThrow(InvalidImageReferenceError);
  });

  it('trims surrounding white space and keeps the spelling as written in name', () => {
    const reference = parseImageReference('  index.docker.io/nginx:2  ');
    expect(reference.original).toBe('index.docker.io/nginx:2');
    expect(reference.name).toBe('index.docker.io/nginx');
    expect(reference.tag).toBe('2');
  });

  it('treats the registry host case-insensitively', () => {
    expect(parseImageReference('Registry.Example.com/app').repository).toBe('registry.example.com/app');
  });

  it('has no tag or digest keys when none are given', () => {
    const reference = parseImageReference('nginx');
    expect('tag' in reference).toBe(false);
    expect('digest' in reference).toBe(false);
  });
});

describe('parseImageReference: tag grammar', () => {
  it.each([
    { tag: 'a'.repeat(128), ok: true },
    { tag: 'a'.repeat(129), ok: false },
    { tag: '_underscore-first', ok: true },
    { tag: 'v1.2.3-rc.1_build', ok: true },
    { tag: 'Latest', ok: true },
    { tag: '.dotfirst', ok: false },
    { tag: '-dashfirst', ok: false },
    { tag: 'has+plus', ok: false },
    { tag: '', ok: false },
  ])('tag "$tag" valid: $ok', ({ tag, ok }) => {
    const parse = () => parseImageReference(`nginx:${tag}`);
    if (ok) expect(parse().tag).toBe(tag);
    else expect(parse).toThrow(InvalidImageReferenceError);
  });
});

describe('parseImageReference: rejects what Docker rejects', () => {
  it.each([
    { input: '', why: 'empty' },
    { input: '   ', why: 'only white space' },
    { input: 'ngi nx:1', why: 'inner white space' },
    { input: ':tag', why: 'a tag without a name' },
    { input: `@${DIGEST}`, why: 'a digest without a name' },
    { input: 'NGINX', why: 'upper-case path' },
    { input: 'acme/Web', why: 'upper-case path component' },
    { input: 'docker.io/Library/nginx', why: 'upper-case path after a registry' },
    { input: 'nginx@sha256:short', why: 'a short digest' },
    { input: `nginx@sha256:${'A'.repeat(64)}`, why: 'an upper-case sha256 digest' },
    { input: 'nginx@sha256', why: 'a digest without hex' },
    { input: 'localhost:port/foo', why: 'a non-numeric port' },
    { input: 'registry.example.com/', why: 'a registry without a path' },
    { input: 'acme//web', why: 'an empty path component' },
    { input: 'acme/web-', why: 'a path component ending in a separator' },
    { input: 'bad_host.example.com/app', why: 'an underscore in the host name' },
    { input: `docker.io/${'a'.repeat(250)}`, why: 'a name over 255 characters' },
    { input: '${IMAGE}', why: 'an unexpanded variable' },
  ])('rejects $why ($input) with exit code 2', ({ input }) => {
    let caught: unknown;
    try {
      parseImageReference(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidImageReferenceError);
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as InvalidImageReferenceError).exitCode).toBe(ExitCode.usage);
    expect((caught as InvalidImageReferenceError).exitCode).toBe(2);
    expect((caught as Error).message).toContain('invalid image reference');
  });
});

describe('tryParseImageReference', () => {
  it.each(['${IMAGE}', '', 'NGINX', undefined, ':latest', '<none>'])('returns undefined for %j', (input) => {
    expect(tryParseImageReference(input)).toBeUndefined();
  });

  it('returns the parsed reference for a valid one', () => {
    expect(tryParseImageReference('nginx:1')?.repository).toBe('docker.io/library/nginx');
  });
});

describe('parseTargetImage', () => {
  it.each(['nginx', 'docker.io/library/nginx', 'localhost:5000/foo'])('requires a tag or digest: %s', (input) => {
    expect(() => parseTargetImage(input)).toThrow(InvalidImageReferenceError);
    try {
      parseTargetImage(input);
    } catch (error) {
      expect((error as InvalidImageReferenceError).exitCode).toBe(2);
      expect((error as Error).message).toMatch(/tag|digest/);
    }
  });

  it.each([
    { input: 'nginx:2', tag: '2', digest: undefined },
    { input: `nginx@${DIGEST}`, tag: undefined, digest: DIGEST },
    { input: `nginx:2@${DIGEST}`, tag: '2', digest: DIGEST },
  ])('accepts $input', ({ input, tag, digest }) => {
    const reference = parseTargetImage(input);
    expect(reference.tag).toBe(tag);
    expect(reference.digest).toBe(digest);
  });
});

describe('retag keeps the container’s own spelling of the repository', () => {
  it.each([
    { current: 'nginx:1', target: 'docker.io/library/nginx:2', expected: 'nginx:2' },
    { current: 'docker.io/library/nginx:1', target: 'nginx:2', expected: 'docker.io/library/nginx:2' },
    { current: 'index.docker.io/nginx', target: 'nginx:2', expected: 'index.docker.io/nginx:2' },
    { current: 'nginx:1', target: `nginx@${DIGEST}`, expected: `nginx@${DIGEST}` },
    { current: `nginx@${DIGEST}`, target: 'nginx:2', expected: 'nginx:2' },
    { current: 'nginx:1', target: `nginx:2@${DIGEST}`, expected: `nginx:2@${DIGEST}` },
    { current: 'localhost:5000/ns/repo:old', target: 'localhost:5000/ns/repo:new', expected: 'localhost:5000/ns/repo:new' },
    { current: `${ECR}/acme/web:abc`, target: `${ECR}/acme/web:def`, expected: `${ECR}/acme/web:def` },
  ])('$current → $target gives $expected', ({ current, target, expected }) => {
    expect(retag(parseImageReference(current), parseTargetImage(target))).toBe(expected);
  });
});

describe('formatVersion', () => {
  it.each([
    { reference: { tag: '2' }, expected: '2' },
    { reference: { digest: DIGEST }, expected: DIGEST },
    { reference: { tag: '2', digest: DIGEST }, expected: `2@${DIGEST}` },
    { reference: {}, expected: '(untagged)' },
  ])('$expected', ({ reference, expected }) => {
    expect(formatVersion(reference)).toBe(expected);
  });
});
