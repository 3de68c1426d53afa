import { UsageError } from './errors.js';
import { parseRegistryAuth, parseRegistryMirrors } from './registry.js';

/** How a rollout asks the image's registry about its target before anything changes. */
export interface RegistryCheck {
  /** False with `--no-verify`: nothing is asked and the digest is not known. */
  readonly verify: boolean;
  /** `--registry-auth user:password`, for a private repository outside ECR. */
  readonly registryAuth?: string;
  /** Registry → base URL (ECS_ROLL_REGISTRY_MIRROR), as Docker's registry mirrors. */
  readonly mirrors: ReadonlyMap<string, string>;
  /** Every registry call ends by then (ECS_ROLL_REGISTRY_TIMEOUT seconds, default 15). */
  readonly timeoutMs: number;
  /** Where Docker's config.json lives (DOCKER_CONFIG, or ~/.docker). */
  readonly dockerConfigDir?: string;
}

export interface RegistryOptions extends RegistryCheck {
  /** Write the new revisions' images as `repo:tag@sha256:…`, the digest the registry answered. */
  readonly pinDigest: boolean;
}

/** Environment variables for the registry check, read by `rollout`, `serve` and the worker alike. */
export const REGISTRY_ENV = {
  /** `false` skips the check, as `--no-verify` (for where no registry can be reached). */
  verify: 'ECS_ROLL_VERIFY',
  /** `true` pins digests, as `--pin-digest` (the worker's install setting). */
  pinDigest: 'ECS_ROLL_PIN_DIGEST',
  /** `registry=url,…`: ask a mirror instead of the registry itself. */
  mirror: 'ECS_ROLL_REGISTRY_MIRROR',
  /** Seconds each registry call may take (default 15). */
  timeout: 'ECS_ROLL_REGISTRY_TIMEOUT',
} as const;

const DEFAULT_TIMEOUT_SECONDS = 15;

export function parseBooleanSetting(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const word = value.trim().toLowerCase();
  if (word === 'true' || word === '1') return true;
  if (word === 'false' || word === '0') return false;
  throw new UsageError(`${name} must be true or false, got ${JSON.stringify(value)}`);
}

export function registryOptionsFrom(raw: { verify?: boolean; registryAuth?: string; pinDigest?: boolean }, env: NodeJS.ProcessEnv): RegistryOptions {
  const timeoutText = env[REGISTRY_ENV.timeout];
  const timeoutSeconds = timeoutText === undefined || timeoutText === '' ? DEFAULT_TIMEOUT_SECONDS : Number(timeoutText);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new UsageError(`${REGISTRY_ENV.timeout} must be a positive number of seconds, got ${JSON.stringify(timeoutText)}`);
  }
  // Checked here, before any call, so a malformed value is a usage error; never echoed, it is a secret.
  if (raw.registryAuth !== undefined) parseRegistryAuth(raw.registryAuth);
  const verify = raw.verify === false ? false : (parseBooleanSetting(REGISTRY_ENV.verify, env[REGISTRY_ENV.verify]) ?? true);
  const pinDigest = raw.pinDigest === true || (parseBooleanSetting(REGISTRY_ENV.pinDigest, env[REGISTRY_ENV.pinDigest]) ?? false);
  const dockerConfig = env.DOCKER_CONFIG;
  return {
    verify,
    pinDigest,
    mirrors: parseRegistryMirrors(env[REGISTRY_ENV.mirror]),
    timeoutMs: Math.round(timeoutSeconds * 1000),
    ...(raw.registryAuth === undefined ? {} : { registryAuth: raw.registryAuth }),
    ...(dockerConfig === undefined || dockerConfig === '' ? {} : { dockerConfigDir: dockerConfig }),
  };
}
