import { UsageError } from './errors.js';
import type { ImageReference } from './image-ref.js';

/**
 * What a registry says about one tag (or digest): the pure half of checking a target before a rollout.
 * The HTTP and ECR adapters (src/aws/registry-*.ts) ask; everything here decides.
 */
export type RegistryAnswer = { readonly found: true; readonly digest: string } | { readonly found: false };

/** The Accept header of a manifest HEAD: an OCI index, a Docker manifest list, and single-platform manifests. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;

/** Docker Hub's API host: `docker.io` names the registry, not a server that answers the distribution API. */
export const DOCKER_HUB_API = 'https://registry-1.docker.io';

const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface EcrRegistry {
  readonly registryId: string;
  readonly region: string;
  /** The repository name inside ECR (the reference's path). */
  readonly repositoryName: string;
}

/** An image in a private ECR registry (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`), asked through ECR's API. */
export function ecrRegistryOf(reference: ImageReference): EcrRegistry | undefined {
  const match = ECR_HOST.exec(reference.registry);
  if (match === null) return undefined;
  return { registryId: match[1] ?? '', region: match[2] ?? '', repositoryName: reference.path };
}

/** Loopback: the only place plain http is allowed, as Docker treats 127.0.0.0/8 as an insecure registry by default. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * `docker.io=http://127.0.0.1:5000,ghcr.io=https://mirror.example` → a map from registry to base URL,
 * as Docker's registry mirrors; http is accepted for loopback mirrors only.
 */
export function parseRegistryMirrors(value: string | undefined): ReadonlyMap<string, string> {
  const mirrors = new Map<string, string>();
  for (const entry of (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')) {
    const equals = entry.indexOf('=');
    const registry = entry.slice(0, equals).trim().toLowerCase();
    const url = parseUrl(entry.slice(equals + 1).trim());
    if (equals <= 0 || url === undefined || !isAllowedRegistryUrl(url)) {
      throw new UsageError(`ECS_ROLL_REGISTRY_MIRROR entries are registry=https://host[:port] (http only on loopback), got ${JSON.stringify(entry)}`);
    }
    mirrors.set(registry, url.origin);
  }
  return mirrors;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** https anywhere, http on loopback only: a token or credentials must never cross a network in clear. */
export function isAllowedRegistryUrl(url: URL): boolean {
  if (url.username !== '' || url.password !== '') return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/** Where the distribution API of the reference's registry answers. */
export function registryBaseUrl(reference: ImageReference, mirrors: ReadonlyMap<string, string> = new Map()): string {
  const mirror = mirrors.get(reference.registry);
  if (mirror !== undefined) return mirror;
  if (reference.registry === 'docker.io') return DOCKER_HUB_API;
  const hostname = reference.registry.startsWith('[')
    ? reference.registry.slice(0, reference.registry.indexOf(']') + 1)
    : (reference.registry.split(':')[0] ?? '');
  return `${isLoopbackHost(hostname) ? 'http' : 'https'}://${reference.registry}`;
}

/** `HEAD <base>/v2/<path>/manifests/<tag or digest>`; a digest wins, since it names one image exactly. */
export function manifestUrl(reference: ImageReference, mirrors?: ReadonlyMap<string, string>): string {
  const version = reference.digest ?? reference.tag ?? 'latest';
  return `${registryBaseUrl(reference, mirrors)}/v2/${reference.path}/manifests/${encodeURIComponent(version)}`;
}

export interface BearerChallenge {
  readonly realm: string;
  readonly service?: string;
  readonly scope?: string;
}

/**
 * `WWW-Authenticate: Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:acme/web:pull"`.
 * Answers undefined for other schemes (Basic) and for a header without a realm.
 * https://distribution.github.io/distribution/spec/auth/token/
 */
export function parseBearerChallenge(header: string | null | undefined): BearerChallenge | undefined {
  if (header === null || header === undefined) return undefined;
  const match = /^\s*Bearer\s+(.*)$/i.exec(header);
  if (match === null) return undefined;
  const params: Record<string, string> = {};
  const pattern = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let found = pattern.exec(match[1] ?? ''); found !== null; found = pattern.exec(match[1] ?? '')) {
    params[(found[1] ?? '').toLowerCase()] = (found[2] ?? found[3] ?? '').replace(/\\(.)/g, '$1');
  }
  if (params.realm === undefined || params.realm === '') return undefined;
  return {
    realm: params.realm,
    ...(params.service === undefined ? {} : { service: params.service }),
    ...(params.scope === undefined ? {} : { scope: params.scope }),
  };
}

/**
 * The token URL to ask, or undefined when the realm must not be followed: a realm comes from the
 * registry's answer, so only https (or http on loopback) is followed, and the scope is always the
 * one repository being checked, whatever the challenge asked for.
 */
export function tokenUrl(challenge: BearerChallenge, repositoryPath: string): URL | undefined {
  const realm = parseUrl(challenge.realm);
  if (realm === undefined || !isAllowedRegistryUrl(realm)) return undefined;
  if (challenge.service !== undefined) realm.searchParams.set('service', challenge.service);
  realm.searchParams.set('scope', `repository:${repositoryPath}:pull`);
  return realm;
}

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

/** `--registry-auth user:password`; the password may contain colons. */
export function parseRegistryAuth(value: string): BasicCredentials {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new UsageError('--registry-auth takes <user:password>');
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

/** Keys Docker writes in `auths` for a registry: Docker Hub's historic index URL among them. */
function configKeys(registry: string): string[] {
  if (registry === 'docker.io') return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  return [registry, `https://${registry}`, `http://${registry}`];
}

/** Credentials for `registry` from a Docker config file's `auths` (`{"auth": base64("user:password")}`). */
export function credentialsFromDockerConfig(config: unknown, registry: string): BasicCredentials | undefined {
  if (typeof config !== 'object' || config === null) return undefined;
  const auths = (config as { auths?: unknown }).auths;
  if (typeof auths !== 'object' || auths === null) return undefined;
  for (const key of configKeys(registry)) {
    const entry = (auths as Record<string, unknown>)[key] ?? (auths as Record<string, unknown>)[`${key}/`];
    if (typeof entry !== 'object' || entry === null) continue;
    const { auth, username, password } = entry as { auth?: unknown; username?: unknown; password?: unknown };
    if (typeof auth === 'string' && auth !== '') {
      const decoded = decodeBase64(auth);
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (typeof username === 'string' && typeof password === 'string') return { username, password };
  }
  return undefined;
}

function decodeBase64(text: string): string {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(text), (char) => char.charCodeAt(0)));
  } catch {
    return '';
  }
}

export function isSha256Digest(value: string | null | undefined): value is string {
  return typeof value === 'string' && SHA256_DIGEST.test(value);
}

/** How the missing tag is named to people: `acme/web:1.4.3 does not exist in docker.io`. */
export function missingTagMessage(reference: ImageReference): string {
  return `${reference.original} does not exist in ${reference.registry}`;
}
