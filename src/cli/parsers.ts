import type { AwsConfig } from '../aws/config.js';
import { UsageError } from '../core/errors.js';
import { INSTALL_NAME_PATTERN } from '../core/install-names.js';
import { DEFAULT_POLL_INTERVAL_MS } from '../core/limits.js';
import { STRATEGIES, type Strategy } from '../core/plan.js';
import type { RawAwsOptions } from './raw-options.js';

/**
 * One parser for each kind of value the commands take (lists, names, seconds, counts, strategies, the
 * AWS options), so the same flag is checked the same way, with the same message, by every command.
 */

/** `--cluster a b`, `--cluster a,b`: every name once given, in order, blanks dropped. */
export function parseList(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
}

/** A positive number of seconds (fractions allowed: emulators poll faster than once a second). */
export function parseSeconds(flag: string, value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`${flag} must be a positive number of seconds, got ${JSON.stringify(value)}`);
  }
  return seconds;
}

/** parseSeconds, or `fallback` when the flag was left out. */
export function parseOptionalSeconds(flag: string, value: string | undefined, fallback: number): number {
  return value === undefined ? fallback : parseSeconds(flag, value);
}

/** A whole number of `what` (0 included). */
export function parseWholeNumber(flag: string, value: string, what: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(count)) {
    throw new UsageError(`${flag} must be a whole number of ${what}, got ${JSON.stringify(value)}`);
  }
  return count;
}

/** One of the rollout strategies; `fallback` when the flag was left out. */
export function parseStrategy(flag: string, value: string | undefined, fallback: Strategy): Strategy {
  const strategy = value ?? fallback;
  if (!(STRATEGIES as readonly string[]).includes(strategy)) {
    throw new UsageError(`${flag} must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(strategy)}`);
  }
  return strategy as Strategy;
}

/** A name the flag's rule allows (`rule` says it in words for the error); `fallback` when left out. */
export function parseName(flag: string, value: string | undefined, fallback: string, pattern: RegExp, rule: string): string {
  const name = value ?? fallback;
  if (!pattern.test(name)) throw new UsageError(`${flag} must be ${rule}, got ${JSON.stringify(name)}`);
  return name;
}

/** `--name` of an install: it prefixes the IAM roles, the functions, the queues and the topic. */
export function parseInstallName(value: string | undefined): string {
  return parseName(
    '--name',
    value,
    'ecs-roll',
    INSTALL_NAME_PATTERN,
    '1 to 40 letters, digits, hyphens or underscores (it prefixes the IAM role and the Lambda functions)',
  );
}

/** A TCP port (0 asks the system for a free one). */
export function parsePort(flag: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${flag} must be a port number, got ${JSON.stringify(value)}`);
  return port;
}

export function awsConfigFrom(raw: RawAwsOptions, env: NodeJS.ProcessEnv): AwsConfig {
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

/** Faster polling is for emulators; against AWS it only spends throttling budget. */
const MIN_AWS_POLL_SECONDS = DEFAULT_POLL_INTERVAL_MS / 1000;

/** Refuses polling faster than every 10 s unless the calls go to an emulator. */
export function checkPollInterval(seconds: number, aws: AwsConfig, env: NodeJS.ProcessEnv): number {
  const emulated = aws.endpointUrl !== undefined || env.AWS_ENDPOINT_URL !== undefined;
  if (seconds < MIN_AWS_POLL_SECONDS && !emulated) {
    throw new UsageError(`--poll-interval below ${MIN_AWS_POLL_SECONDS} s is only allowed against an emulator (--endpoint-url)`);
  }
  return seconds;
}

/** `--poll-interval` in milliseconds: 10 s by default. */
export function parsePollInterval(raw: string | undefined, aws: AwsConfig, env: NodeJS.ProcessEnv): number {
  return Math.round(checkPollInterval(parseOptionalSeconds('--poll-interval', raw, MIN_AWS_POLL_SECONDS), aws, env) * 1000);
}
