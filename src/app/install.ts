/**
 * `install` through the SDK: read what exists (install-read.ts, install-discover.ts), decide what
 * should exist (core/install-desired.ts), plan (core/install-plan.ts), and apply the plan with one
 * handler per AWS service (install-apply/), then the queues and the ECR rule. `uninstall` is in
 * uninstall.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { accountOfArn, functionArn, lastSlashSegment, partitionOf, roleArn, topicArn } from '../core/arn.js';
import {
  DEFAULT_SOURCES,
  ecrRepositoryNames,
  ecrRuleArn,
  ecrRuleName,
  installedSources,
  SOURCES_ENV,
  withoutWebhookApi,
} from '../core/ecr-trigger.js';
import { UsageError } from '../core/errors.js';
import { desiredInstall, managedPolicyPath, passRoleArns } from '../core/install-desired.js';
import { checkInstallLimits } from '../core/install-limits.js';
import { FUNCTION_ROLES, installNames, PERMISSION_STATEMENT_ID, UNKNOWN_ACCOUNT, UNKNOWN_API_ID } from '../core/install-names.js';
import { describeAction, planInstall } from '../core/install-plan.js';
import type { RetryClock } from '../core/install-retry.js';
import { queueNames } from '../core/install-queues.js';
import type { ObservedInstall } from '../core/install-types.js';
import { formatPolicy } from '../core/update-policy.js';
import { REGISTRY_ENV } from '../core/registry-options.js';
import type { RunBeforeSpec } from '../core/run-before.js';
import { HANDLERS, LAMBDA_RUNTIME, lambdaZip } from '../aws/lambda-package.js';
import { ENV, hashToken, parseRunBeforeEnv, webhookConfigToEnv } from '../webhook/config.js';
import { InstallApplier } from '../aws/install-apply/applier.js';
import { withClients, type InstallClients } from '../aws/install-clients.js';
import { discoverPassRoles } from '../aws/install-discover.js';
import { observeApi, observeFunction, observeLogGroup, observeManagedPolicies, observeRole, observeTopic } from '../aws/install-read.js';
import { DRY_RUN_TOKEN_PLACEHOLDER, KEPT_TOKEN_PLACEHOLDER, type InstallReport, type InstallRequest } from '../aws/install-request.js';
import { installedSettings, mergeInstallSettings } from '../aws/install-settings.js';
import { invokeUrl } from '../aws/invoke-url.js';
import { splitEnvironment } from '../core/install-environment.js';
import { REPOSITORIES_DIGEST_ENV, repositoriesDigest, SETTINGS_FILE, SETTINGS_FILE_ENV, settingsFileText } from '../webhook/settings-file.js';
import { notifyEnvironment, notifyStatements, sameTargets, shownTargets, showTargets, urlsOf, withNotifyStatements } from '../core/install-notify.js';
import { applyNotifyParameter, installedNotifyTargets } from '../aws/install-notify.js';
import { systemClock } from '../core/ports.js';

export type { InstallProgress, InstallReport, InstallRequest } from '../aws/install-request.js';
export { DRY_RUN_TOKEN_PLACEHOLDER, KEPT_TOKEN_PLACEHOLDER } from '../aws/install-request.js';

export async function runInstall(request: InstallRequest): Promise<InstallReport> {
  return withClients(request.aws, (clients) => install(clients, request));
}

/** Everything the plan needs, and nothing changed yet. */
async function readInstall(clients: InstallClients, request: InstallRequest, warnings: string[]) {
  const names = installNames(request.name);
  const [role, receiverRole, receiver, worker, receiverLogs, workerLogs, api, topic, managedPolicies] = await Promise.all([
    observeRole(clients, names.install, names.role, names.policy),
    observeRole(clients, names.install, names.receiverRole, names.receiverPolicy),
    observeFunction(clients, names.functions.receiver, names.install),
    observeFunction(clients, names.functions.worker, names.install),
    observeLogGroup(clients, names.logGroups.receiver),
    observeLogGroup(clients, names.logGroups.worker),
    observeApi(clients, names, request.stage, warnings),
    observeTopic(clients, names),
    observeManagedPolicies(clients, managedPolicyPath(names.install), names.role),
  ]);
  return { role, receiverRole, receiver, worker, receiverLogs, workerLogs, api, topic, managedPolicies };
}

async function install(clients: InstallClients, request: InstallRequest): Promise<InstallReport> {
  const names = installNames(request.name);
  const region = await clients.lambda.config.region();
  const clock: RetryClock = request.clock ?? systemClock;
  const warnings: string[] = [];
  const { role, receiverRole, receiver, worker, receiverLogs, workerLogs, api, topic, managedPolicies } = await readInstall(
    clients,
    request,
    warnings,
  );
  const installedEnvironment = (worker ?? receiver)?.environment;

  // Settings left out keep what the install runs with (the worker's environment holds them, the allow-list
  // possibly in the settings file, known then by its digest).
  const merged = mergeInstallSettings(
    {
      ...(request.repositories === undefined ? {} : { repositories: request.repositories }),
      ...(request.clusters === undefined ? {} : { clusters: request.clusters }),
      ...(request.policy === undefined ? {} : { policy: request.policy }),
      ...(request.strategy === undefined ? {} : { strategy: request.strategy }),
      ...(request.timeoutSeconds === undefined ? {} : { timeoutSeconds: request.timeoutSeconds }),
    },
    withInstalledList(installedSettings(installedEnvironment), installedEnvironment, request.repositories),
  );
  const { settings } = merged;
  const settingChanges = merged.changes.map((change) =>
    change.setting === 'repositories' && change.from === undefined && installedEnvironment?.[REPOSITORIES_DIGEST_ENV] !== undefined
      ? { ...change, from: `${installedEnvironment[REPOSITORIES_DIGEST_ENV]?.split(':')[0] ?? '?'} repositories (in the functions' settings file)` }
      : change,
  );
  // --notify left out keeps the targets the worker has (read back from its environment and parameter).
  const installedNotify = await installedNotifyTargets(request.aws, worker?.environment);
  const notify = request.notify ?? installedNotify;
  if (!sameTargets(notify, installedNotify)) {
    const from = showTargets(installedNotify);
    const to = showTargets(notify);
    settingChanges.push({ setting: 'notify', ...(worker === undefined ? {} : { from }), to: from === to ? `${to} (a URL changed)` : to });
  }
  const ecs = await discoverPassRoles(request.aws, settings.repositories, settings.clusters);
  if (ecs.shortArnServices.length > 0) {
    const message =
      `${ecs.shortArnServices.length} service(s) running these repositories still have a pre-2021 short ARN ` +
      `(${ecs.shortArnServices.map(lastSlashSegment).join(', ')}): the worker's policy names each, and ECS tags none of them, ` +
      'so they cannot carry a scaling policy until migrated (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-arn-migration.html)';
    warnings.push(message);
  }
  // What reading found (two REST APIs of one name, short-ARN services) is said now, not only in the --json document.
  for (const warning of warnings) request.progress.warn(warning);
  // Run-before specs given replace the installed ones; left out, the installed ones stay, like the settings above.
  const runBefore = request.runBefore ?? installedRunBefore(installedEnvironment);
  const sources = request.sources ?? installedSources(installedEnvironment) ?? DEFAULT_SOURCES;
  const ecrRepositories = ecrRepositoryNames(settings.repositories, region);
  if (sources.includes('ecr') && ecrRepositories.length === 0) {
    throw new UsageError(
      `--source ecr needs --repo entries that are ECR repositories of ${region} (ACCOUNT.dkr.ecr.${region}.amazonaws.com/name), got ${settings.repositories.join(', ')}`,
    );
  }
  const observedAccount =
    (role === undefined ? undefined : accountOfArn(role.arn)) ??
    ecs.account ??
    (receiver === undefined ? undefined : accountOfArn(receiver.arn)) ??
    (worker === undefined ? undefined : accountOfArn(worker.arn)) ??
    (topic === undefined ? undefined : accountOfArn(topic.arn));
  const account = observedAccount ?? UNKNOWN_ACCOUNT;
  const observed: ObservedInstall = {
    ...(observedAccount === undefined ? {} : { account: observedAccount }),
    ...(role === undefined ? {} : { role }),
    ...(receiverRole === undefined ? {} : { receiverRole }),
    managedPolicies,
    functions: { ...(receiver === undefined ? {} : { receiver }), ...(worker === undefined ? {} : { worker }) },
    logGroups: { ...(receiverLogs === undefined ? {} : { receiver: receiverLogs }), ...(workerLogs === undefined ? {} : { worker: workerLogs }) },
    ...(api === undefined ? {} : { api }),
    ...(topic === undefined ? {} : { topic }),
  };

  // The token: kept from the existing install unless asked to rotate; only its hash is stored.
  const existingHash = receiver?.environment[ENV.tokenSha256] ?? worker?.environment[ENV.tokenSha256];
  const issueToken = request.rotateToken || existingHash === undefined;
  const token = issueToken && !request.dryRun ? randomBytes(32).toString('base64url') : undefined;
  const tokenSha256 =
    token !== undefined ? hashToken(token) : issueToken || existingHash === undefined ? hashToken(DRY_RUN_TOKEN_PLACEHOLDER) : existingHash;

  const environment = {
    ...webhookConfigToEnv({
      tokenSha256,
      repositories: settings.repositories,
      policy: settings.policy,
      clusters: settings.clusters,
      strategy: settings.strategy,
      timeoutSeconds: settings.timeoutSeconds,
      pollIntervalSeconds: 10,
      // Left out: what the worker runs with now (its environment), as for the other settings.
      ...((request.pinDigest ?? installedEnvironment?.[REGISTRY_ENV.pinDigest] === 'true') ? { pinDigest: true } : {}),
      ...((request.verify ?? installedEnvironment?.[REGISTRY_ENV.verify] !== 'false') ? {} : { verify: false }),
      runBefore,
    }),
    [ENV.workerFunction]: names.functions.worker,
    [ENV.pushQueue]: queueNames(names.install).pushes,
    [ENV.followQueue]: queueNames(names.install).follow,
    [SOURCES_ENV]: sources.join(','),
    ...notifyEnvironment(names.install, notify),
  };
  // A large allow-list goes into the settings file in the zip: Lambda allows 4 KB of variables in all.
  const { environment: kept, overflow } = splitEnvironment(environment, [ENV.repositories]);
  const usesFile = Object.keys(overflow).length > 0;
  const functionEnvironment = usesFile
    ? { ...kept, [SETTINGS_FILE_ENV]: SETTINGS_FILE, [REPOSITORIES_DIGEST_ENV]: repositoriesDigest(settings.repositories) }
    : kept;
  const zip = await lambdaZip(usesFile ? { [SETTINGS_FILE]: settingsFileText(overflow) } : {});
  const desiredWithoutNotify = desiredInstall({
    region,
    account,
    names,
    stage: request.stage,
    handlers: HANDLERS,
    runtime: LAMBDA_RUNTIME,
    codeSha256: createHash('sha256').update(zip).digest('base64'),
    environment: functionEnvironment,
    clusters: settings.clusters,
    repositories: settings.repositories,
    passRoles: ecs.passRoleArns,
    shortArnServices: ecs.shortArnServices,
    runBefore: { scope: ecs.runBefore, enabled: runBefore.length > 0 },
  });
  // The receiver tells of pushes the policy ignores (the worker never sees them), so both roles may notify.
  const notifying = notifyStatements({ region, account }, names.install, notify);
  const desired = {
    ...desiredWithoutNotify,
    policyDocument: withNotifyStatements(desiredWithoutNotify.policyDocument, notifying),
    ...(desiredWithoutNotify.receiverRole === undefined
      ? {}
      : {
          receiverRole: {
            ...desiredWithoutNotify.receiverRole,
            document: withNotifyStatements(desiredWithoutNotify.receiverRole.document, notifying),
          },
        }),
  };
  // AWS's size limits, before anything changes (the allow-list and --cluster values are what grow).
  checkInstallLimits(desired.policyDocument, functionEnvironment, { variable: ENV.repositories, option: '--repo' });
  // Without Docker Hub there is no webhook to receive: no REST API (an existing one is left as it is).
  const planned = planInstall(desired, observed);
  const actions = sources.includes('dockerhub') ? planned : withoutWebhookApi(planned, PERMISSION_STATEMENT_ID);

  const known: { account?: string | undefined; apiId?: string | undefined } = { account: observedAccount, apiId: api?.id };
  const queueActions: string[] = [];
  const report = (line: string) => {
    queueActions.push(line);
    request.progress.done(line);
  };
  if (!request.dryRun) {
    const context = { clients, install: names.install, zip, clock, signal: request.signal, progress: request.progress, warnings };
    // The URLs are in place before the worker's environment names their parameter…
    if (urlsOf(notify).length > 0) for (const line of await applyNotifyParameter(request.aws, names.install, notify, installedNotify)) report(line);
    await new InstallApplier(context, api).applyAll(actions, known);
    // …and go only once it no longer does.
    if (urlsOf(notify).length === 0) for (const line of await applyNotifyParameter(request.aws, names.install, notify, installedNotify)) report(line);
    // The queues once the account is known; the mappings once the worker and its policy exist.
    const queuesAt = { region, account: known.account ?? account };
    const { applyQueues, applyMappings } = await import('../aws/install-queues.js');
    for (const line of [
      ...(await applyQueues(request.aws, queuesAt, names.install, desired.functions.worker.timeout)),
      ...(await applyMappings(request.aws, queuesAt, names.install, names.functions.worker)),
    ]) {
      queueActions.push(line);
      request.progress.done(line);
    }
    // The ECR rule once the worker exists; a re-run without the ecr source takes an earlier rule away.
    const { applyEcrTrigger, removeEcrTrigger } = await import('../aws/install-ecr-trigger.js');
    const ecrLines = sources.includes('ecr')
      ? (
          await applyEcrTrigger({
            aws: request.aws,
            install: names.install,
            workerName: names.functions.worker,
            workerArn: functionArn(queuesAt, names.functions.worker),
            repositoryNames: ecrRepositories,
          })
        ).lines
      : (await removeEcrTrigger(request.aws, names.install, names.functions.worker))
          .filter((removal) => removal.status === 'deleted')
          .map((removal) => `remove ${removal.kind} ${removal.name} (no --source ecr)`);
    for (const line of ecrLines) {
      queueActions.push(line);
      request.progress.done(line);
    }
  }

  // Scaling policies an older install kept in alarms' tags move to the services' tags (src/aws/install-scale-policies.ts).
  const policyMoves = await (await import('../aws/install-scale-policies.js')).moveScalingPolicies(request, [topic?.arn, worker?.arn]);
  const finalAccount = known.account ?? UNKNOWN_ACCOUNT;
  const apiId = known.apiId ?? UNKNOWN_API_ID;
  const finalAt = { region, account: finalAccount };
  const resolve = <T>(value: T): T => {
    const text = JSON.stringify(value).replaceAll(UNKNOWN_ACCOUNT, finalAccount).replaceAll(UNKNOWN_API_ID, apiId);
    return JSON.parse(text) as T;
  };
  const passRoles = passRoleArns({ region, account }, ecs.passRoleArns);
  const urlToken = token ?? (request.dryRun && issueToken ? DRY_RUN_TOKEN_PLACEHOLDER : KEPT_TOKEN_PLACEHOLDER);
  return {
    name: names.install,
    dryRun: request.dryRun,
    region,
    account: finalAccount,
    role: { name: names.role, arn: roleArn(finalAt, names.role) },
    receiverRole: { name: names.receiverRole, arn: roleArn(finalAt, names.receiverRole) },
    policy: { name: names.policy, document: resolve(desired.permissions ?? desired.policyDocument) },
    managedPolicies: (desired.managedPolicies ?? []).map((policy) => resolve(policy.arn)),
    functions: {
      receiver: { name: names.functions.receiver, arn: functionArn(finalAt, names.functions.receiver) },
      worker: { name: names.functions.worker, arn: functionArn(finalAt, names.functions.worker) },
    },
    api: { name: names.api, id: apiId },
    topic: { name: names.topic, arn: topic?.arn ?? topicArn(finalAt, names.topic) },
    stage: request.stage,
    url: sources.includes('dockerhub') ? invokeUrl(request.aws, process.env, region, apiId, request.stage, urlToken) : '',
    sources,
    ...(sources.includes('ecr')
      ? { ecrRule: { name: ecrRuleName(names.install), arn: ecrRuleArn({ ...finalAt, partition: partitionOf(region) }, names.install) } }
      : {}),
    tokenIssued: token !== undefined,
    logGroups: FUNCTION_ROLES.map((role) => names.logGroups[role]),
    passRoleArns: resolve(passRoles),
    actions: actions.map((action) => ({ kind: action.kind, description: describeAction(resolve(action)) })),
    queues: { ...queueNames(names.install) },
    queueActions,
    policyMoves,
    warnings,
    settings: { ...settings, policy: formatPolicy(settings.policy), notify: shownTargets(notify) },
    settingChanges,
  };
}

/** The installed settings, with the allow-list given again when the settings file holds the same one (same digest). */
function withInstalledList(
  installed: ReturnType<typeof installedSettings>,
  environment: Readonly<Record<string, string>> | undefined,
  given: readonly string[] | undefined,
): ReturnType<typeof installedSettings> {
  const digest = environment?.[REPOSITORIES_DIGEST_ENV];
  if (installed.repositories !== undefined || digest === undefined || given === undefined) return installed;
  return repositoriesDigest(given) === digest ? { ...installed, repositories: given } : installed;
}

/** The run-before specs an existing install's worker runs; none when unset or unreadable. */
function installedRunBefore(environment: Readonly<Record<string, string>> | undefined): RunBeforeSpec[] {
  try {
    return parseRunBeforeEnv(environment?.[ENV.runBefore]);
  } catch {
    return [];
  }
}
