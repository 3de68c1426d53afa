import { createHash } from 'node:crypto';
import { UsageError } from '../core/errors.js';
import { parseImageReference } from '../core/image-ref.js';
import { DEFAULT_FOLLOW_SECONDS } from '../core/follow.js';
import { REGISTRY_ENV } from '../core/registry-options.js';
import { STRATEGIES, type Strategy } from '../core/plan.js';
import { formatPolicy, parsePolicy, type UpdatePolicy } from '../core/update-policy.js';
import { parseRunBeforeSpec, type RunBeforeSpec } from '../core/run-before.js';

/**
 * The environment variables that configure the webhook functions (and `serve`). `install` writes
 * them; `package` users set them themselves. The token itself is never stored, only its SHA-256.
 */
export const ENV = {
  tokenSha256: 'ECS_ROLL_TOKEN_SHA256',
  /** `serve` only: the token in clear, hashed at start. */
  token: 'ECS_ROLL_TOKEN',
  repositories: 'ECS_ROLL_REPOS',
  policy: 'ECS_ROLL_POLICY',
  clusters: 'ECS_ROLL_CLUSTERS',
  strategy: 'ECS_ROLL_STRATEGY',
  timeoutSeconds: 'ECS_ROLL_TIMEOUT',
  pollSeconds: 'ECS_ROLL_POLL_INTERVAL',
  workerFunction: 'ECS_ROLL_WORKER_FUNCTION',
  /** The FIFO queue the receiver hands pushes to (by name; the functions ask GetQueueUrl once). */
  pushQueue: 'ECS_ROLL_PUSH_QUEUE',
  /** The standard queue of delayed "check again" messages that follow a rollout. */
  followQueue: 'ECS_ROLL_FOLLOW_QUEUE',
  /** A JSON list of `--run-before` specs (a spec holds commas, so a comma-separated list would not do). */
  runBefore: 'ECS_ROLL_RUN_BEFORE',
} as const;

export interface WebhookConfig {
  /** Hex SHA-256 of the URL token. */
  readonly tokenSha256: string;
  /** Normalised repositories (`docker.io/acme/web`) that may trigger a rollout. */
  readonly repositories: readonly string[];
  readonly policy: UpdatePolicy;
  readonly clusters: readonly string[];
  readonly strategy: Strategy;
  readonly timeoutSeconds: number;
  readonly pollIntervalSeconds: number;
  /** `install --pin-digest`: the worker pins the registry's digest (ECS_ROLL_PIN_DIGEST). */
  readonly pinDigest?: boolean;
  /** `install --no-verify`: the worker does not ask the registry first (ECS_ROLL_VERIFY=false). */
  readonly verify?: boolean;
  /** One-off tasks to run, in order, before the services of every push move; empty for none. */
  readonly runBefore?: readonly RunBeforeSpec[];
}

/** The run-before specs from their environment variable: a JSON list of strings, each a valid spec. */
export function parseRunBeforeEnv(value: string | undefined): RunBeforeSpec[] {
  if (value === undefined || value.trim() === '') return [];
  let list: unknown;
  try {
    list = JSON.parse(value);
  } catch {
    throw new UsageError(`${ENV.runBefore} must be a JSON list of run-before specs, got ${JSON.stringify(value)}`);
  }
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
    throw new UsageError(`${ENV.runBefore} must be a JSON list of strings, got ${JSON.stringify(value)}`);
  }
  return list.map((item: string) => parseRunBeforeSpec(item));
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `acme/web` → `docker.io/acme/web`; a reference with a tag is refused, since the list names repositories. */
export function normaliseRepository(name: string): string {
  const reference = parseImageReference(name);
  if (reference.tag !== undefined || reference.digest !== undefined) {
    throw new UsageError(`--repo takes a repository without tag or digest, got ${JSON.stringify(name)}`);
  }
  return reference.repository;
}

export function parseStrategy(value: string | undefined): Strategy {
  const strategy = value ?? 'rolling';
  if (!(STRATEGIES as readonly string[]).includes(strategy)) {
    throw new UsageError(`strategy must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(strategy)}`);
  }
  return strategy as Strategy;
}

function positiveNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new UsageError(`${name} must be a positive number, got ${JSON.stringify(value)}`);
  return number;
}

export function webhookConfigFromEnv(env: NodeJS.ProcessEnv): WebhookConfig {
  const tokenSha256 = env[ENV.tokenSha256] ?? (env[ENV.token] === undefined ? undefined : hashToken(env[ENV.token] ?? ''));
  if (tokenSha256 === undefined || !/^[0-9a-f]{64}$/.test(tokenSha256)) {
    throw new UsageError(`${ENV.tokenSha256} (hex SHA-256 of the URL token) or ${ENV.token} must be set`);
  }
  const repositories = list(env[ENV.repositories]).map(normaliseRepository);
  if (repositories.length === 0) throw new UsageError(`${ENV.repositories} must list at least one repository`);
  const runBefore = parseRunBeforeEnv(env[ENV.runBefore]);
  return {
    tokenSha256,
    repositories,
    policy: parsePolicy(env[ENV.policy] ?? 'any'),
    clusters: list(env[ENV.clusters]),
    strategy: parseStrategy(env[ENV.strategy]),
    timeoutSeconds: positiveNumber(ENV.timeoutSeconds, env[ENV.timeoutSeconds], DEFAULT_FOLLOW_SECONDS),
    pollIntervalSeconds: positiveNumber(ENV.pollSeconds, env[ENV.pollSeconds], 10),
    ...(runBefore.length === 0 ? {} : { runBefore }),
  };
}

/** The environment `install` gives the functions; the inverse of webhookConfigFromEnv. */
export function webhookConfigToEnv(config: WebhookConfig): Record<string, string> {
  return {
    [ENV.tokenSha256]: config.tokenSha256,
    [ENV.repositories]: config.repositories.join(','),
    [ENV.policy]: formatPolicy(config.policy),
    [ENV.clusters]: config.clusters.join(','),
    [ENV.strategy]: config.strategy,
    [ENV.timeoutSeconds]: String(config.timeoutSeconds),
    [ENV.pollSeconds]: String(config.pollIntervalSeconds),
    ...(config.pinDigest === true ? { [REGISTRY_ENV.pinDigest]: 'true' } : {}),
    ...(config.verify === false ? { [REGISTRY_ENV.verify]: 'false' } : {}),
    // Set only when used, so an install without run-before steps keeps the environment it had.
    ...(config.runBefore === undefined || config.runBefore.length === 0
      ? {}
      : { [ENV.runBefore]: JSON.stringify(config.runBefore.map((spec) => spec.text)) }),
  };
}
