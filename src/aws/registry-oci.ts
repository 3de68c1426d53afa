import type { ImageReference } from '../core/image-ref.js';
import {
  isSha256Digest,
  manifestUrl,
  MANIFEST_MEDIA_TYPES,
  parseBearerChallenge,
  tokenUrl,
  type BasicCredentials,
  type RegistryAnswer,
} from '../core/registry.js';

/**
 * Asks any registry that speaks the OCI distribution API whether a tag exists, and its digest:
 * `HEAD /v2/<name>/manifests/<tag>`, reading Docker-Content-Digest, after a Bearer token when the
 * registry challenges (Docker Hub always does, for anonymous pulls too).
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#checking-if-content-exists-in-the-registry
 * https://distribution.github.io/distribution/spec/auth/token/
 */
export interface OciLookupOptions {
  readonly mirrors: ReadonlyMap<string, string>;
  readonly credentials?: BasicCredentials;
  /** Aborts every call: the run's own signal and the lookup's time limit together. */
  readonly signal: AbortSignal;
}

/** The registry answered something other than found or not found; the message never carries a token. */
export class RegistryRequestError extends Error {}

function basicHeader(credentials: BasicCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}

async function headManifest(url: string, authorization: string | undefined, signal: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: 'HEAD',
    // A redirect could carry the Authorization header elsewhere; registries answer manifests directly.
    redirect: 'manual',
    headers: { accept: MANIFEST_MEDIA_TYPES.join(', '), ...(authorization === undefined ? {} : { authorization }) },
    signal,
  });
}

async function fetchToken(url: URL, credentials: BasicCredentials | undefined, signal: AbortSignal): Promise<string> {
  const answer = await fetch(url, {
    redirect: 'manual',
    headers: { accept: 'application/json', ...(credentials === undefined ? {} : { authorization: basicHeader(credentials) }) },
    signal,
  });
  if (answer.status === 401 || answer.status === 403) {
    throw new RegistryRequestError(
      `the registry's token service at ${url.origin} refused ${credentials === undefined ? 'an anonymous pull token' : 'the credentials'} (HTTP ${answer.status})`,
    );
  }
  if (!answer.ok) throw new RegistryRequestError(`the registry's token service at ${url.origin} answered HTTP ${answer.status}`);
  const body = (await answer.json().catch(() => ({}))) as { token?: unknown; access_token?: unknown };
  const token = typeof body.token === 'string' && body.token !== '' ? body.token : body.access_token;
  if (typeof token !== 'string' || token === '') throw new RegistryRequestError(`the registry's token service at ${url.origin} answered no token`);
  return token;
}

export async function lookupOciManifest(reference: ImageReference, options: OciLookupOptions): Promise<RegistryAnswer> {
  const url = manifestUrl(reference, options.mirrors);
  let answer = await headManifest(url, options.credentials === undefined ? undefined : basicHeader(options.credentials), options.signal);
  if (answer.status === 401) {
    const challenge = parseBearerChallenge(answer.headers.get('www-authenticate'));
    if (challenge !== undefined) {
      const realm = tokenUrl(challenge, reference.path);
      if (realm === undefined) {
        throw new RegistryRequestError(`the registry asked for a token from ${JSON.stringify(challenge.realm)}, which is not https; not followed`);
      }
      const token = await fetchToken(realm, options.credentials, options.signal);
      answer = await headManifest(url, `Bearer ${token}`, options.signal);
    }
  }
  // Docker Hub answers 401 for a repository that does not exist, as for one that is private.
  if (answer.status === 404 || (answer.status === 401 && reference.registry === 'docker.io' && options.credentials === undefined)) {
    return { found: false };
  }
  if (answer.status === 401 || answer.status === 403) {
    throw new RegistryRequestError(
      `${reference.registry} refused to show ${reference.path} (HTTP ${answer.status}); for a private repository pass --registry-auth or log in with docker login`,
    );
  }
  if (answer.status !== 200) throw new RegistryRequestError(`${reference.registry} answered HTTP ${answer.status} for ${reference.original}`);
  const digest = answer.headers.get('docker-content-digest');
  if (isSha256Digest(digest)) return { found: true, digest };
  if (reference.digest !== undefined) return { found: true, digest: reference.digest };
  throw new RegistryRequestError(`${reference.registry} answered no Docker-Content-Digest for ${reference.original}`);
}
