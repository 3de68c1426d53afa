import { UsageError } from '../core/errors.js';
import { DEFAULT_POLL_INTERVAL_MS, DEFAULT_TIMEOUT_SECONDS } from '../core/limits.js';
import { STRATEGIES, type Strategy } from '../core/plan.js';
import { parseRunBeforeSpec, type RunBeforeSpec } from '../core/run-before.js';
import type { ServiceExpectation } from '../core/expectation.js';
import type { AwsConfig } from '../aws/config.js';
import { parseNotifyTargets, type NotifyTarget } from '../core/notify-target.js';
import { registryOptionsFrom, type RegistryOptions } from '../core/registry-options.js';

/** What commander hands a rollout action: strings and booleans, unchecked. */
export interface RawRolloutOptions {
  cluster?: string[];
  service?: string[];
  allFamilies?: boolean;
  strategy?: string;
  dryRun?: boolean;
  wait?: boolean;
  timeout?: string;
  pollInterval?: string;
  rollback?: boolean;
  force?: boolean;
  verify?: boolean;
  registryAuth?: string;
  pinDigest?: boolean;
  runBefore?: string[];
  runTimeout?: string;
  expectServices?: string;
  requireMatch?: boolean;
  notify?: string[];
  json?: boolean;
  color?: boolean;
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

export interface RolloutOptions {
  readonly image: string;
  readonly clusters: readonly string[];
  readonly services: readonly string[];
  readonly allFamilies: boolean;
  readonly strategy: Strategy;
  readonly dryRun: boolean;
  readonly wait: boolean;
  readonly timeoutSeconds: number;
  /** No --timeout: the default, which grows by a staged deployment's bake time. */
  readonly timeoutIsDefault: boolean;
  readonly pollIntervalMs: number;
  readonly rollback: boolean;
  readonly force: boolean;
  readonly runBefore: readonly RunBeforeSpec[];
  readonly runTimeoutSeconds: number;
  readonly expectServices?: ServiceExpectation;
  /** Where each outcome's document goes (`--notify`, repeatable). */
  readonly notify: readonly NotifyTarget[];
  readonly json: boolean;
  readonly aws: AwsConfig;
  readonly registry: RegistryOptions;
}

/** `--run-timeout`'s default: 30 minutes. */
export const DEFAULT_RUN_TIMEOUT_SECONDS = 1800;

/** Faster polling is for emulators; against AWS it only spends throttling budget. */
const MIN_AWS_POLL_SECONDS = DEFAULT_POLL_INTERVAL_MS / 1000;

export function parsePositiveSeconds(name: string, value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`${name} must be a positive number of seconds, got ${JSON.stringify(value)}`);
  }
  return seconds;
}

function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(',')).map((value) => value.trim()).filter((value) => value !== '');
}

export function awsConfigFrom(raw: Pick<RawRolloutOptions, 'region' | 'profile' | 'endpointUrl'>, env: NodeJS.ProcessEnv): AwsConfig {
  const endpointUrl = raw.endpointUrl ?? env.AWS_ENDPOINT_URL;
  if (endpointUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(endpointUrl);
    } catch {
      throw new UsageError(`--endpoint-url must be a URL, got ${JSON.stringify(endpointUrl)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UsageError(`--endpoint-url must be an http or https URL, got ${JSON.stringify(endpointUrl)}`);
    }
  }
  // The AWS CLI's order: --region, AWS_REGION (the SDK reads it itself), AWS_DEFAULT_REGION, then the profile.
  const region = raw.region ?? (env.AWS_REGION ? undefined : env.AWS_DEFAULT_REGION || undefined);
  return {
    ...(region === undefined ? {} : { region }),
    ...(raw.profile === undefined ? {} : { profile: raw.profile }),
    ...(raw.endpointUrl === undefined ? {} : { endpointUrl: raw.endpointUrl }),
  };
}

/** Refuses polling faster than every 10 s unless the calls go to an emulator. */
export function checkPollInterval(seconds: number, aws: AwsConfig, env: NodeJS.ProcessEnv): number {
  const emulated = aws.endpointUrl !== undefined || env.AWS_ENDPOINT_URL !== undefined;
  if (seconds < MIN_AWS_POLL_SECONDS && !emulated) {
    throw new UsageError(`--poll-interval below ${MIN_AWS_POLL_SECONDS} s is only allowed against an emulator (--endpoint-url)`);
  }
  return seconds;
}

/** `--poll-interval` in seconds: 10 by default. */
export function parsePollInterval(raw: string | undefined, aws: AwsConfig, env: NodeJS.ProcessEnv): number {
  return checkPollInterval(raw === undefined ? MIN_AWS_POLL_SECONDS : parsePositiveSeconds('--poll-interval', raw), aws, env);
}

export function parseRolloutOptions(image: string, raw: RawRolloutOptions, env: NodeJS.ProcessEnv): RolloutOptions {
  const strategy = raw.strategy ?? 'rolling';
  if (!(STRATEGIES as readonly string[]).includes(strategy)) {
    throw new UsageError(`--strategy must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(strategy)}`);
  }
  if (strategy === 'replace' && raw.wait === false) {
    // replace stops old tasks while it waits; without waiting it would quietly be a rolling update.
    throw new UsageError('--strategy replace stops the old tasks while it waits, so it cannot be combined with --no-wait');
  }
  const expectServices = parseExpectation(raw);
  const aws = awsConfigFrom(raw, env);
  const timeoutSeconds = raw.timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : parsePositiveSeconds('--timeout', raw.timeout);
  const pollSeconds = parsePollInterval(raw.pollInterval, aws, env);
  // Checked here, before any AWS call: a malformed spec costs nothing and changes nothing.
  const runBefore = (raw.runBefore ?? []).map(parseRunBeforeSpec);
  const notify = parseNotifyTargets(raw.notify);
  const runTimeoutSeconds = raw.runTimeout === undefined ? DEFAULT_RUN_TIMEOUT_SECONDS : parsePositiveSeconds('--run-timeout', raw.runTimeout);
  return {
    image,
    clusters: splitList(raw.cluster),
    services: splitList(raw.service),
    allFamilies: raw.allFamilies === true,
    strategy: strategy as Strategy,
    dryRun: raw.dryRun === true,
    wait: raw.wait !== false,
    timeoutSeconds,
    timeoutIsDefault: raw.timeout === undefined,
    pollIntervalMs: Math.round(pollSeconds * 1000),
    rollback: raw.rollback !== false,
    force: raw.force === true,
    runBefore,
    runTimeoutSeconds,
    ...(expectServices === undefined ? {} : { expectServices }),
    notify,
    json: raw.json === true,
    aws,
    registry: registryOptionsFrom(raw, env),
  };
}

function parseExpectation(raw: Pick<RawRolloutOptions, 'expectServices' | 'requireMatch'>): ServiceExpectation | undefined {
  if (raw.expectServices !== undefined && raw.requireMatch === true) {
    throw new UsageError('give one of --expect-services <n> or --require-match, not both');
  }
  if (raw.requireMatch === true) return { atLeast: 1 };
  if (raw.expectServices === undefined) return undefined;
  const count = Number(raw.expectServices);
  if (!/^\d+$/.test(raw.expectServices.trim()) || !Number.isSafeInteger(count)) {
    throw new UsageError(`--expect-services must be a whole number of services, got ${JSON.stringify(raw.expectServices)}`);
  }
  return { exactly: count };
}
