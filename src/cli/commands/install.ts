import { MAX_FOLLOW_SECONDS } from '../../core/follow.js';
import { parseBooleanSetting, REGISTRY_ENV } from '../../core/registry-options.js';
import { Chalk, type ChalkInstance } from 'chalk';
import { UsageError } from '../../core/errors.js';
import { parseSources } from '../../core/ecr-trigger.js';
import { CLUSTER_NAME_PATTERN, INSTALL_NAME_PATTERN, STAGE_NAME_PATTERN } from '../../core/install-plan.js';
import { parseNotifyTargets } from '../../core/notify-target.js';
import { parsePolicy } from '../../core/update-policy.js';
import { parseRunBeforeSpec } from '../../core/run-before.js';
import { normaliseRepository, parseStrategy } from '../../webhook/config.js';
import type { AwsConfig } from '../../aws/config.js';
import type { InstallProgress, InstallReport, InstallRequest } from '../../app/install.js';
import type { RemovalReport } from '../../app/uninstall.js';
import type { SettingChange } from '../../aws/install-settings.js';
import { awsConfigFrom, parsePositiveSeconds } from '../options.js';
import { colorLevel, isSizedTerminal, type CliIo, type OutputStream } from '../render.js';

/** Version of the `install` and `uninstall` documents. */
const INSTALL_DOCUMENT_VERSION = 1;

const SETTING_LABELS: Record<SettingChange['setting'], string> = {
  repositories: 'repositories',
  clusters: 'clusters',
  policy: 'policy',
  strategy: 'strategy',
  timeoutSeconds: 'timeout (s)',
  notify: 'notify',
};

const NO_URL = 'No webhook URL: ECR pushes reach the worker through the EventBridge rule and need no public endpoint (--source dockerhub adds one).';

/** Lambda stops a function at 900 s; the worker's wait has to fit in it. */

/** What the user asked for: the install request less what the command itself supplies, plus the output form. */
export type InstallOptions = Omit<InstallRequest, 'signal' | 'progress' | 'clock' | 'repositories'> & {
  readonly repositories: readonly string[];
  readonly json: boolean;
};

function strings(value: unknown): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list
    .map(String)
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function optionalString(raw: Record<string, unknown>, key: string): string | undefined {
  const value = raw[key];
  return value === undefined ? undefined : String(value);
}

export function parseInstallName(value: string | undefined): string {
  const name = value ?? 'ecs-roll';
  if (!INSTALL_NAME_PATTERN.test(name)) {
    throw new UsageError(
      `--name must be 1 to 40 letters, digits, hyphens or underscores (it prefixes the IAM role and the Lambda functions), got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

function awsOptions(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): AwsConfig {
  const region = optionalString(raw, 'region');
  const profile = optionalString(raw, 'profile');
  const endpointUrl = optionalString(raw, 'endpointUrl');
  return awsConfigFrom(
    {
      ...(region === undefined ? {} : { region }),
      ...(profile === undefined ? {} : { profile }),
      ...(endpointUrl === undefined ? {} : { endpointUrl }),
    },
    env,
  );
}

/** Every check that needs no AWS call, so bad input costs none and changes nothing. */
export function parseInstallOptions(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): InstallOptions {
  const name = parseInstallName(optionalString(raw, 'name'));
  const stage = optionalString(raw, 'stage') ?? 'live';
  if (!STAGE_NAME_PATTERN.test(stage)) {
    throw new UsageError(`--stage must be letters, digits, hyphens or underscores, got ${JSON.stringify(stage)}`);
  }
  // --repo is always given (checked before any AWS call); every other setting left out keeps what the
  // existing install has (a first install takes the defaults), so a re-run never quietly resets one.
  const repos = strings(raw['repo']);
  if (repos.length === 0) throw new UsageError('--repo must name at least one repository (namespace/name) whose pushes may roll out');
  const repositories = [...new Set(repos.map(normaliseRepository))];
  const clusters =
    raw['cluster'] === undefined ? undefined : [...new Set(strings(raw['cluster']).map((cluster) => cluster.slice(cluster.lastIndexOf('/') + 1)))];
  for (const cluster of clusters ?? []) {
    if (!CLUSTER_NAME_PATTERN.test(cluster)) throw new UsageError(`--cluster takes cluster names, got ${JSON.stringify(cluster)}`);
  }
  // Left out: the sources the install has (a first install: dockerhub).
  const sources = raw['source'] === undefined ? undefined : parseSources(strings(raw['source']));
  const policyText = optionalString(raw, 'policy');
  const policy = policyText === undefined ? undefined : parsePolicy(policyText);
  const strategyText = optionalString(raw, 'strategy');
  const strategy = strategyText === undefined ? undefined : parseStrategy(strategyText);
  const timeoutText = optionalString(raw, 'timeout');
  const timeoutSeconds = timeoutText === undefined ? undefined : parsePositiveSeconds('--timeout', timeoutText);
  if (timeoutSeconds !== undefined && timeoutSeconds > MAX_FOLLOW_SECONDS) {
    throw new UsageError(`--timeout can be at most ${MAX_FOLLOW_SECONDS} s (24 hours): how long the worker follows a push's deployments`);
  }
  // As for rollout: --verify/--no-verify, else ECS_ROLL_VERIFY in install's own environment, else what the install has.
  const verify = typeof raw['verify'] === 'boolean' ? raw['verify'] : parseBooleanSetting(REGISTRY_ENV.verify, env[REGISTRY_ENV.verify]);
  return {
    name,
    stage,
    repositories,
    ...(clusters === undefined ? {} : { clusters }),
    ...(sources === undefined ? {} : { sources }),
    ...(policy === undefined ? {} : { policy }),
    ...(strategy === undefined ? {} : { strategy }),
    ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
    ...(typeof raw['pinDigest'] === 'boolean' ? { pinDigest: raw['pinDigest'] } : {}),
    ...(verify === undefined ? {} : { verify }),
    // Checked before any AWS call; --no-notify removes every target, left out keeps what the install has.
    ...(raw['notify'] === undefined
      ? {}
      : { notify: raw['notify'] === false ? [] : parseNotifyTargets((Array.isArray(raw['notify']) ? raw['notify'] : [raw['notify']]).map(String)) }),
    rotateToken: raw['rotateToken'] === true,
    // Checked before any AWS call; the worker parses the same specs from its environment.
    ...(raw['runBefore'] === undefined ? {} : { runBefore: (raw['runBefore'] as string[]).map(String).map(parseRunBeforeSpec) }),
    dryRun: raw['dryRun'] === true,
    json: raw['json'] === true,
    aws: awsOptions(raw, env),
  };
}

interface Waiter {
  update(text: string): void;
  stop(): void;
}

/** Progress for people: lines on `out`, and an ora spinner for the long waits when `out` is a terminal. */
async function makeProgress(io: CliIo, out: OutputStream, color: ChalkInstance, quiet: boolean): Promise<InstallProgress> {
  const ora = isSizedTerminal(out) ? (await import('ora')).default : undefined;
  return {
    done(description) {
      if (!quiet) out.write(`${color.green('✔')} ${description}\n`);
    },
    warn(message) {
      io.stderr.write(`${color.yellow('!')} ${message}\n`);
    },
    waiting(text): Waiter {
      if (ora !== undefined) {
        const spinner = ora({ text, stream: out as NodeJS.WritableStream, discardStdin: false }).start();
        return {
          update: (next) => (spinner.text = next),
          stop: () => spinner.stop(),
        };
      }
      // Not a terminal: one line now, then one at most every 15 s.
      out.write(`… ${text}\n`);
      let last = Date.now();
      return {
        update(next) {
          if (Date.now() - last < 15_000) return;
          last = Date.now();
          out.write(`… ${next}\n`);
        },
        stop() {},
      };
    },
  };
}

export async function runInstallCommand(raw: Record<string, unknown>, io: CliIo, signal: AbortSignal): Promise<number> {
  const options = parseInstallOptions(raw, io.env);
  const color = new Chalk({ level: options.json ? 0 : colorLevel(io, raw['color'] as boolean | undefined) });
  // With --json, stdout carries the document alone: waits and warnings go to stderr.
  const progress = await makeProgress(io, options.json ? io.stderr : io.stdout, color, options.json);
  const { runInstall } = await import('../../app/install.js');
  if (!options.json) {
    io.stdout.write(
      `${color.bold(options.dryRun ? 'Plan for' : 'Installing')} ${color.cyan(options.name)}: webhook for ${options.repositories.join(', ')}\n`,
    );
  }
  const { json: _json, ...request } = options;
  const report = await runInstall({ ...request, signal, progress });
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ kind: 'install', version: INSTALL_DOCUMENT_VERSION, ...report }, null, 2)}\n`);
  } else {
    renderInstall(io.stdout, color, report);
  }
  return 0;
}

function renderInstall(out: OutputStream, color: ChalkInstance, report: InstallReport): void {
  const line = (text = '') => out.write(`${text}\n`);
  for (const change of report.settingChanges) {
    const name = SETTING_LABELS[change.setting];
    line(`  ${color.bold('~')} ${name}: ${change.from === undefined ? color.dim('(new)') : change.from} → ${color.green(change.to)}`);
  }
  if (report.dryRun) {
    if (report.actions.length === 0) line(`  nothing to change: install ${report.name} is up to date`);
    for (const action of report.actions) line(`  ${color.bold('+')} ${action.description}`);
    for (const move of report.policyMoves) line(`  ${color.bold(move.status === 'would move' ? '+' : '!')} ${move.description}`);
    line();
    line(`${color.bold('IAM policy')} ${report.policy.name} on role ${report.role.name}:`);
    line(JSON.stringify(report.policy.document, null, 2));
    if (report.passRoleArns.length === 0) {
      line(color.yellow('No task definition in use runs these repositories, so the role may pass no task role (no iam:PassRole).'));
    }
    line();
    line(report.sources.includes('dockerhub') ? `Webhook URL would be: ${report.url}` : NO_URL);
    if (report.ecrRule !== undefined) line(`ECR push rule would be: ${report.ecrRule.arn}`);
    line(`Alarm topic would be: ${report.topic.arn}`);
    if (report.settings.notify.length > 0) line(`Outcomes would be sent to: ${report.settings.notify.join(', ')}`);
    line(color.dim('Dry run: nothing was changed.'));
    return;
  }
  if (report.actions.length === 0) line(`Nothing to change: install ${report.name} is up to date.`);
  line();
  line(`${color.bold('Role')}       ${report.role.arn}`);
  line(`${color.bold('Receiver')}   ${report.functions.receiver.arn}`);
  line(`${color.bold('Worker')}     ${report.functions.worker.arn}`);
  if (report.sources.includes('dockerhub')) line(`${color.bold('API')}        ${report.api.id} (stage ${report.stage})`);
  if (report.ecrRule !== undefined) line(`${color.bold('ECR rule')}   ${report.ecrRule.arn} (EventBridge, default bus; targets the worker)`);
  line(`${color.bold('Alarms')}     ${report.topic.arn} (SNS topic; the worker is subscribed)`);
  line(`${color.bold('Log groups')} ${report.logGroups.join(', ')}`);
  // URLs as scheme and host only: the rest of a URL is its secret.
  if (report.settings.notify.length > 0) line(`${color.bold('Notify')}     ${report.settings.notify.join(', ')}`);
  line();
  if (!report.sources.includes('dockerhub')) {
    line(NO_URL);
  } else if (report.tokenIssued) {
    line(`${color.bold('Webhook URL')} (add it to the repositories' webhooks on Docker Hub; it is shown this once and stored nowhere):`);
    line(`  ${color.green(report.url)}`);
  } else {
    line(`${color.bold('Webhook URL')}: ${report.url}`);
    line(
      color.dim(
        '  The token was issued by the first install and only its SHA-256 is stored, so it cannot be shown again; ' +
          'run install with --rotate-token for a new URL (the old one then stops working).',
      ),
    );
  }
  if (report.passRoleArns.length === 0) {
    line(
      color.yellow('No task definition in use runs these repositories yet, so the worker may pass no task role; run install again once they run.'),
    );
  }
}

export async function runUninstallCommand(raw: Record<string, unknown>, io: CliIo, signal: AbortSignal): Promise<number> {
  const name = parseInstallName(optionalString(raw, 'name'));
  const aws = awsOptions(raw, io.env);
  const json = raw['json'] === true;
  const dryRun = raw['dryRun'] === true;
  const color = new Chalk({ level: json ? 0 : colorLevel(io, raw['color'] as boolean | undefined) });
  const { runUninstall } = await import('../../app/uninstall.js');
  const resources = await runUninstall({ aws, name, signal, dryRun });
  const count = (status: RemovalReport['status']) => resources.filter((resource) => resource.status === status).length;
  if (json) {
    const planned = dryRun ? { dryRun: true, wouldDelete: count('would delete') } : {};
    io.stdout.write(
      `${JSON.stringify({ kind: 'uninstall', version: INSTALL_DOCUMENT_VERSION, name, ...planned, deleted: count('deleted'), alreadyGone: count('already gone'), leftAlone: count('not ours, left alone'), resources }, null, 2)}\n`,
    );
    return 0;
  }
  for (const resource of resources) {
    const label = `${resource.kind} ${resource.name}${resource.id === undefined ? '' : ` (${resource.id})`}`;
    const extra =
      resource.subscriptions === undefined ? '' : ` and its ${resource.subscriptions} subscription${resource.subscriptions === 1 ? '' : 's'}`;
    if (resource.status === 'deleted') io.stdout.write(`${color.green('✔')} deleted ${label}${extra}\n`);
    else if (resource.status === 'would delete') io.stdout.write(`${color.bold('-')} would delete ${label}${extra}\n`);
    else if (resource.status === 'already gone') io.stdout.write(`${color.dim('·')} ${label}: already gone\n`);
    else io.stdout.write(`${color.yellow('!')} ${label}: left alone (${resource.reason ?? 'not created by this install'})\n`);
  }
  if (dryRun) {
    io.stdout.write(`Dry run: ${count('would delete')} to delete, ${count('not ours, left alone')} left alone; nothing was changed.\n`);
    return 0;
  }
  io.stdout.write(
    count('deleted') === 0 && count('not ours, left alone') === 0
      ? `Nothing to remove: install ${name} was already gone.\n`
      : `Uninstalled ${name}: ${count('deleted')} deleted, ${count('already gone')} already gone.\n`,
  );
  return 0;
}
