import { UsageError } from './errors.js';

/**
 * A parsed image reference, normalised as Docker does, so that two spellings of one
 * repository compare equal and nothing else does.
 */
export interface ImageReference {
  /** The text as written, trimmed. */
  readonly original: string;
  /** The repository part exactly as written (no tag, no digest), kept so rewrites preserve the user's spelling. */
  readonly name: string;
  /** Registry host, with port when given; Docker Hub is always `docker.io`. */
  readonly registry: string;
  /** Path inside the registry; Docker Hub's official images get `library/`. */
  readonly path: string;
  /** `registry/path`: the identity two references are compared by. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const MAX_NAME_LENGTH = 255;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_HOST = /^\[[0-9a-fA-F:.]+\]$/;
const PORT = /^[0-9]{1,5}$/;
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export class InvalidImageReferenceError extends UsageError {
  constructor(
    readonly reference: string,
    reason: string,
  ) {
    super(`invalid image reference ${JSON.stringify(reference)}: ${reason}`);
  }
}

function fail(reference: string, reason: string): never {
  throw new InvalidImageReferenceError(reference, reason);
}

function isValidHost(reference: string, host: string): void {
  const colon = host.startsWith('[') ? host.indexOf(']:') + 1 : host.lastIndexOf(':');
  const hostname = colon > 0 ? host.slice(0, colon) : host;
  const port = colon > 0 ? host.slice(colon + 1) : undefined;
  if (port !== undefined && !PORT.test(port)) fail(reference, `registry port ${JSON.stringify(port)} is not a number`);
  if (IPV6_HOST.test(hostname)) return;
  if (!hostname.split('.').every((part) => DOMAIN_COMPONENT.test(part))) {
    fail(reference, `registry host ${JSON.stringify(hostname)} is not a valid host name`);
  }
}

/**
 * Splits `name` into registry and path the way Docker does: the first component is a registry
 * only when it looks like a host (has a dot or a port, is `localhost`, or has capitals, which a path cannot).
 */
function splitRegistry(name: string): { registry: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const looksLikeHost = slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  if (!looksLikeHost) return { registry: DOCKER_HUB, path: name };
  return { registry: first, path: name.slice(slash + 1) };
}

export function parseImageReference(input: string): ImageReference {
  const original = input.trim();
  if (original === '') fail(input, 'it is empty');
  if (/\s/.test(original)) fail(original, 'it contains white space');

  const at = original.indexOf('@');
  const beforeDigest = at === -1 ? original : original.slice(0, at);
  const digest = at === -1 ? undefined : original.slice(at + 1);
  if (digest !== undefined) {
    if (!DIGEST.test(digest)) fail(original, `digest ${JSON.stringify(digest)} is not of the form algorithm:hex`);
    if (digest.startsWith('sha256:') && !SHA256_HEX.test(digest.slice('sha256:'.length))) {
      fail(original, 'a sha256 digest has 64 lower-case hex digits');
    }
  }

  // A tag can only follow the last path segment, so a colon before the last slash is a registry port.
  const lastSlash = beforeDigest.lastIndexOf('/');
  const tagColon = beforeDigest.indexOf(':', lastSlash + 1);
  const name = tagColon === -1 ? beforeDigest : beforeDigest.slice(0, tagColon);
  const tag = tagColon === -1 ? undefined : beforeDigest.slice(tagColon + 1);
  if (tag === '') fail(original, 'the tag after ":" is empty; give one, e.g. acme/web:1.4.2');
  if (tag !== undefined && !TAG_PATTERN.test(tag)) {
    fail(original, `tag ${JSON.stringify(tag)} must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  }
  if (name === '') fail(original, 'the repository name is missing');
  if (name.length > MAX_NAME_LENGTH) fail(original, `the repository name is longer than ${MAX_NAME_LENGTH} characters`);

  const split = splitRegistry(name);
  if (split.registry !== DOCKER_HUB) isValidHost(original, split.registry);
  const registry = DOCKER_HUB_ALIASES.has(split.registry.toLowerCase()) ? DOCKER_HUB : split.registry.toLowerCase();
  if (split.path === '') fail(original, 'the repository path is missing');
  for (const component of split.path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      fail(original, `path component ${JSON.stringify(component)} must be lower-case letters and digits, separated by '.', '_', '__' or '-'`);
    }
  }
  const path = registry === DOCKER_HUB && !split.path.includes('/') ? `library/${split.path}` : split.path;

  return {
    original,
    name,
    registry,
    path,
    repository: `${registry}/${path}`,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}

/** For images found in task definitions: one we cannot parse simply matches nothing. */
export function tryParseImageReference(input: string | undefined): ImageReference | undefined {
  if (input === undefined) return undefined;
  try {
    return parseImageReference(input);
  } catch {
    return undefined;
  }
}

/** A reference a rollout can move services to: it must say which version. */
export function parseTargetImage(input: string): ImageReference {
  const reference = parseImageReference(input);
  if (reference.tag === undefined && reference.digest === undefined) {
    throw new InvalidImageReferenceError(input, 'give a tag (repo:tag) or a digest (repo@sha256:…) to roll out');
  }
  return reference;
}

/**
 * The image string a container should run after the rollout: the container's own spelling of the
 * repository (so `nginx` stays `nginx`), with the target's tag and digest.
 */
export function retag(current: ImageReference, target: ImageReference): string {
  return `${current.name}${target.tag === undefined ? '' : `:${target.tag}`}${target.digest === undefined ? '' : `@${target.digest}`}`;
}

export function formatVersion(reference: Pick<ImageReference, 'tag' | 'digest'>): string {
  return [reference.tag, reference.digest].filter((part) => part !== undefined).join('@') || '(untagged)';
}
