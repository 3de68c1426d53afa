import type { InstallRequest } from '../app/install.js';
import type { AwsConfig } from '../aws/config.js';
import { parseSources } from '../core/ecr-trigger.js';
import { UsageError } from '../core/errors.js';
import { MAX_FOLLOW_SECONDS } from '../core/follow.js';
import { CLUSTER_NAME_PATTERN, STAGE_NAME_PATTERN } from '../core/install-names.js';
import { parseNotifyTargets } from '../core/notify-target.js';
import { parseBooleanSetting, REGISTRY_ENV } from '../core/registry-options.js';
import { parseRunBeforeSpec } from '../core/run-before.js';
import { parsePolicy } from '../core/update-policy.js';
import { normaliseRepository } from '../webhook/config.js';
import { awsConfigFrom, parseInstallName, parseList, parseName, parseSeconds, parseStrategy } from './parsers.js';
import type { RawInstallOptions, RawUninstallOptions } from './raw-options.js';

/** What the user asked for: the install request less what the command itself supplies, plus the output form. */
export type InstallOptions = Omit<InstallRequest, 'signal' | 'progress' | 'clock' | 'repositories'> & {
  readonly repositories: readonly string[];
  readonly json: boolean;
};

export interface UninstallOptions {
  readonly name: string;
  readonly aws: AwsConfig;
  readonly dryRun: boolean;
  readonly json: boolean;
}

/** `--cluster` takes names; an ARN given keeps its last segment. */
function parseClusterNames(values: readonly string[]): string[] {
  const names = [...new Set(parseList(values).map((cluster) => cluster.slice(cluster.lastIndexOf('/') + 1)))];
  for (const cluster of names) {
    if (!CLUSTER_NAME_PATTERN.test(cluster)) throw new UsageError(`--cluster takes cluster names, got ${JSON.stringify(cluster)}`);
  }
  return names;
}

function parseFollowSeconds(value: string): number {
  const seconds = parseSeconds('--timeout', value);
  if (seconds > MAX_FOLLOW_SECONDS) {
    throw new UsageError(`--timeout can be at most ${MAX_FOLLOW_SECONDS} s (24 hours): how long the worker follows a push's deployments`);
  }
  return seconds;
}

/** Every check that needs no AWS call, so bad input costs none and changes nothing. */
export function parseInstallOptions(raw: RawInstallOptions, env: NodeJS.ProcessEnv): InstallOptions {
  const name = parseInstallName(raw.name);
  const stage = parseName('--stage', raw.stage, 'live', STAGE_NAME_PATTERN, 'letters, digits, hyphens or underscores');
  // --repo is always given (checked before any AWS call); every other setting left out keeps what the
  // existing install has (a first install takes the defaults), so a re-run never quietly resets one.
  const repos = parseList(raw.repo);
  if (repos.length === 0) throw new UsageError('--repo must name at least one repository (namespace/name) whose pushes may roll out');
  const repositories = [...new Set(repos.map(normaliseRepository))];
  const clusters = raw.cluster === undefined ? undefined : parseClusterNames(raw.cluster);
  // Left out: the sources the install has (a first install: dockerhub).
  const sources = raw.source === undefined ? undefined : parseSources(parseList(raw.source));
  const policy = raw.policy === undefined ? undefined : parsePolicy(raw.policy);
  const strategy = raw.strategy === undefined ? undefined : parseStrategy('--strategy', raw.strategy, 'rolling');
  const timeoutSeconds = raw.timeout === undefined ? undefined : parseFollowSeconds(raw.timeout);
  // As for rollout: --verify/--no-verify, else ECS_ROLL_VERIFY in install's own environment, else what the install has.
  const verify = raw.verify ?? parseBooleanSetting(REGISTRY_ENV.verify, env[REGISTRY_ENV.verify]);
  // Checked before any AWS call; --no-notify removes every target, left out keeps what the install has.
  const notify = raw.notify === undefined ? undefined : raw.notify === false ? [] : parseNotifyTargets(raw.notify);
  // Checked before any AWS call; the worker parses the same specs from its environment.
  const runBefore = raw.runBefore?.map(parseRunBeforeSpec);
  return {
    name,
    stage,
    repositories,
    ...(clusters === undefined ? {} : { clusters }),
    ...(sources === undefined ? {} : { sources }),
    ...(policy === undefined ? {} : { policy }),
    ...(strategy === undefined ? {} : { strategy }),
    ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
    ...(raw.pinDigest === undefined ? {} : { pinDigest: raw.pinDigest }),
    ...(verify === undefined ? {} : { verify }),
    ...(notify === undefined ? {} : { notify }),
    rotateToken: raw.rotateToken === true,
    ...(runBefore === undefined ? {} : { runBefore }),
    dryRun: raw.dryRun === true,
    json: raw.json === true,
    aws: awsConfigFrom(raw, env),
  };
}

export function parseUninstallOptions(raw: RawUninstallOptions, env: NodeJS.ProcessEnv): UninstallOptions {
  return { name: parseInstallName(raw.name), aws: awsConfigFrom(raw, env), dryRun: raw.dryRun === true, json: raw.json === true };
}
