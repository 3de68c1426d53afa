import type { RolloutRequest } from '../app/rollout.js';
import type { AwsConfig } from '../aws/config.js';
import { UsageError } from '../core/errors.js';
import type { ServiceExpectation } from '../core/expectation.js';
import { DEFAULT_TIMEOUT_SECONDS } from '../core/limits.js';
import { type NotifyTarget, parseNotifyTargets } from '../core/notify-target.js';
import { registryOptionsFrom } from '../core/registry-options.js';
import { parseRunBeforeSpec, type RunBeforeSpec } from '../core/run-before.js';
import { awsConfigFrom, parseList, parseOptionalSeconds, parsePollInterval, parseStrategy, parseWholeNumber } from './parsers.js';
import type { RawRolloutOptions } from './raw-options.js';

export type { RawRolloutOptions };

/**
 * A rollout as the command line asks for it: the rollout's request, less what the run adds (the parsed
 * target, the push time, the signal), with its seconds as typed, and how to show it.
 */
export type RolloutOptions = Required<Pick<RolloutRequest, 'clusters' | 'services' | 'registry'>> &
  Pick<RolloutRequest, 'allFamilies' | 'strategy' | 'dryRun' | 'wait' | 'pollIntervalMs' | 'rollback' | 'force' | 'expectServices'> & {
    readonly image: string;
    readonly timeoutSeconds: number;
    /** No --timeout: the default, which grows by a staged deployment's bake time. */
    readonly timeoutIsDefault: boolean;
    readonly runBefore: readonly RunBeforeSpec[];
    readonly runTimeoutSeconds: number;
    /** Where each outcome's document goes (`--notify`, repeatable). */
    readonly notify: readonly NotifyTarget[];
    readonly json: boolean;
    readonly aws: AwsConfig;
  };

/** `--run-timeout`'s default: 30 minutes. */
export const DEFAULT_RUN_TIMEOUT_SECONDS = 1800;

export function parseRolloutOptions(image: string, raw: RawRolloutOptions, env: NodeJS.ProcessEnv): RolloutOptions {
  const strategy = parseStrategy('--strategy', raw.strategy, 'rolling');
  if (strategy === 'replace' && raw.wait === false) {
    // replace stops old tasks while it waits; without waiting it would quietly be a rolling update.
    throw new UsageError('--strategy replace stops the old tasks while it waits, so it cannot be combined with --no-wait');
  }
  const expectServices = parseExpectation(raw);
  const aws = awsConfigFrom(raw, env);
  const timeoutSeconds = parseOptionalSeconds('--timeout', raw.timeout, DEFAULT_TIMEOUT_SECONDS);
  const pollIntervalMs = parsePollInterval(raw.pollInterval, aws, env);
  // Checked here, before any AWS call: a malformed spec costs nothing and changes nothing.
  const runBefore = (raw.runBefore ?? []).map(parseRunBeforeSpec);
  const notify = parseNotifyTargets(raw.notify);
  const runTimeoutSeconds = parseOptionalSeconds('--run-timeout', raw.runTimeout, DEFAULT_RUN_TIMEOUT_SECONDS);
  return {
    image,
    clusters: parseList(raw.cluster),
    services: parseList(raw.service),
    allFamilies: raw.allFamilies === true,
    strategy,
    dryRun: raw.dryRun === true,
    wait: raw.wait !== false,
    timeoutSeconds,
    timeoutIsDefault: raw.timeout === undefined,
    pollIntervalMs,
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
  return { exactly: parseWholeNumber('--expect-services', raw.expectServices, 'services') };
}
