/**
 * `install` and `uninstall` through the SDK: read what exists, plan with core/install-plan, apply
 * the plan action by action. Every client is built from clientConfig, so --region, --profile and
 * --endpoint-url hold for all of them.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  DeleteRestApiCommand,
  GetResourcesCommand,
  GetRestApisCommand,
  GetStageCommand,
  PutIntegrationCommand,
  PutMethodCommand,
  UpdateStageCommand,
  type RestApi,
} from '@aws-sdk/client-api-gateway';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient } from '@aws-sdk/client-ecs';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  type Role,
} from '@aws-sdk/client-iam';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
  RemovePermissionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type Architecture,
  type FunctionConfiguration,
  type Runtime,
} from '@aws-sdk/client-lambda';
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand as SnsListTagsForResourceCommand,
  ListTopicsCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { checkInstallLimits } from '../core/install-limits.js';
import { OperationFailedError } from '../core/errors.js';
import { parseImageReference } from '../core/image-ref.js';
import {
  accountOfArn,
  ARCHITECTURE,
  describeAction,
  FUNCTION_ROLES,
  functionArn,
  INSTALL_TAG,
  installNames,
  installPolicyDocument,
  LOG_RETENTION_DAYS,
  partitionOf,
  planInstall,
  resolveAction,
  retryWhileRolePropagates,
  roleArn,
  topicArn,
  topicNameOfArn,
  TRUST_POLICY_DOCUMENT,
  UNKNOWN_ACCOUNT,
  UNKNOWN_API_ID,
  type DesiredInstall,
  type FunctionRole,
  type FunctionSpec,
  type InstallAction,
  type InstallNames,
  type ObservedApi,
  type ObservedFunction,
  type ObservedInstall,
  type ObservedPermission,
  type ObservedResource,
  type ObservedSubscription,
  type ObservedTopic,
  type PolicyDocument,
  type RetryClock,
} from '../core/install-plan.js';
import type { Strategy } from '../core/plan.js';
import { formatPolicy, type UpdatePolicy } from '../core/policy.js';
import { HANDLERS, LAMBDA_RUNTIME, lambdaZip } from '../lambda/package.js';
import { REGISTRY_ENV } from '../core/registry-options.js';
import { ENV, hashToken, parseRunBeforeEnv, webhookConfigToEnv } from '../webhook/config.js';
import type { TaskDefinitionSnapshot } from '../core/model.js';
import type { RunBeforeSpec } from '../core/run-before.js';
import { runBeforeScope, runBeforeStatements, withRunBeforeStatements, type RunBeforeScope } from '../core/run-before-policy.js';
import { clientConfig, type AwsConfig } from './config.js';
import { discoverRolloutState, SdkEcs } from './ecs.js';
import { installedSettings, mergeInstallSettings, type SettingChange } from './install-settings.js';
import { functionTags } from './function-tags.js';
import { invokeUrl } from './invoke-url.js';
import { queueNames } from '../core/install-queues.js';

/** What the command tells the user while the install runs; nothing here writes anywhere itself. */
export interface InstallProgress {
  done(description: string): void;
  warn(message: string): void;
  /** A wait that may last (IAM propagation, a function becoming Active); `stop` ends it. */
  waiting(text: string): { update(text: string): void; stop(): void };
}

export interface InstallRequest {
  readonly aws: AwsConfig;
  readonly name: string;
  readonly stage: string;
  /**
   * The settings given on this run (repositories normalised, `docker.io/acme/web`). Those left out keep
   * what the existing install has, or the defaults on a first install.
   */
  readonly repositories?: readonly string[];
  readonly clusters?: readonly string[];
  readonly policy?: UpdatePolicy;
  readonly strategy?: Strategy;
  readonly timeoutSeconds?: number;
  /** The worker writes `repo:tag@sha256:…` (ECS_ROLL_PIN_DIGEST); left out keeps what the install has. */
  readonly pinDigest?: boolean;
  /** False: the worker does not ask the registry first (ECS_ROLL_VERIFY=false); left out keeps what the install has. */
  readonly verify?: boolean;
  readonly rotateToken: boolean;
  /** `--run-before`: one-off tasks the worker runs before the services of every push move. */
  readonly runBefore?: readonly RunBeforeSpec[];
  readonly dryRun: boolean;
  readonly signal: AbortSignal;
  readonly progress: InstallProgress;
  readonly clock?: RetryClock;
}

export interface InstallReport {
  readonly name: string;
  readonly dryRun: boolean;
  readonly region: string;
  readonly account: string;
  readonly role: { readonly name: string; readonly arn: string };
  readonly policy: { readonly name: string; readonly document: PolicyDocument };
  readonly functions: Readonly<Record<FunctionRole, { readonly name: string; readonly arn: string }>>;
  readonly api: { readonly name: string; readonly id: string };
  /** The SNS topic that alarms notify; the worker is subscribed to it. */
  readonly topic: { readonly name: string; readonly arn: string };
  readonly stage: string;
  /** With the token only when this run issued it; a placeholder otherwise. */
  readonly url: string;
  readonly tokenIssued: boolean;
  readonly logGroups: readonly string[];
  readonly passRoleArns: readonly string[];
  readonly actions: readonly { readonly kind: InstallAction['kind']; readonly description: string }[];
  /** The pushes queue (FIFO), the follow queue and their dead-letter queues (src/core/install-queues.ts). */
  readonly queues: Readonly<Record<string, string>>;
  /** What was done to the queues and their mappings, one line each. */
  readonly queueActions: readonly string[];
  readonly warnings: readonly string[];
  /** What the install runs with after this run, and each setting that changed (old → new). */
  readonly settings: { readonly repositories: readonly string[]; readonly clusters: readonly string[]; readonly policy: string; readonly strategy: Strategy; readonly timeoutSeconds: number };
  readonly settingChanges: readonly SettingChange[];
}

export const KEPT_TOKEN_PLACEHOLDER = '<token from the first install>';
export const DRY_RUN_TOKEN_PLACEHOLDER = '<token>';

const realClock: RetryClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

interface Clients {
  readonly iam: IAMClient;
  readonly lambda: LambdaClient;
  readonly apigw: APIGatewayClient;
  readonly logs: CloudWatchLogsClient;
  readonly sns: SNSClient;
}

function createClients(aws: AwsConfig): Clients {
  const config = clientConfig(aws);
  return {
    iam: new IAMClient(config),
    lambda: new LambdaClient(config),
    apigw: new APIGatewayClient(config),
    logs: new CloudWatchLogsClient(config),
    sns: new SNSClient(config),
  };
}

function isNamed(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}

/** Answers undefined for "no such thing" and rethrows everything else. */
async function orMissing<T>(call: Promise<T>, ...names: string[]): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (isNamed(error, ...names)) return undefined;
    throw error;
  }
}

/** IAM answers policy documents URL-encoded. */
function parsePolicyText(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(decodeURIComponent(text)) as unknown;
  } catch {
    return JSON.parse(text) as unknown;
  }
}

function tagsOf(list: readonly { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).flatMap((tag) => (tag.Key === undefined ? [] : [[tag.Key, tag.Value ?? '']])));
}

function notOurs(kind: string, name: string, install: string): OperationFailedError {
  return new OperationFailedError(
    `${kind} ${name} exists but is not tagged ${INSTALL_TAG}=${install}, so another tool or install owns it; ` +
      `choose another --name, or tag it if it is an earlier install of this one`,
  );
}

// ---------------------------------------------------------------------------------------------
// Reading

async function observeRole(clients: Clients, names: InstallNames): Promise<ObservedInstall['role']> {
  const answer = await orMissing(clients.iam.send(new GetRoleCommand({ RoleName: names.role })), 'NoSuchEntityException');
  const role: Role | undefined = answer?.Role;
  if (role?.Arn === undefined) return undefined;
  const tags = tagsOf(role.Tags);
  if (tags[INSTALL_TAG] !== names.install) throw notOurs('IAM role', names.role, names.install);
  const policy = await orMissing(
    clients.iam.send(new GetRolePolicyCommand({ RoleName: names.role, PolicyName: names.policy })),
    'NoSuchEntityException',
  );
  return {
    arn: role.Arn,
    tags,
    trustPolicy: parsePolicyText(role.AssumeRolePolicyDocument),
    policyDocument: parsePolicyText(policy?.PolicyDocument),
  };
}

interface PolicyStatementText {
  Sid?: string;
  Principal?: { Service?: string } | string;
  Condition?: { ArnLike?: Record<string, string>; StringEquals?: Record<string, string> };
}

async function observeFunction(clients: Clients, name: string, install: string): Promise<ObservedFunction | undefined> {
  const answer = await orMissing(clients.lambda.send(new GetFunctionCommand({ FunctionName: name })), 'ResourceNotFoundException');
  const configuration = answer?.Configuration;
  if (configuration?.FunctionArn === undefined) return undefined;
  const tags = answer === undefined ? {} : await functionTags(clients.lambda, answer);
  if (tags[INSTALL_TAG] !== install) throw notOurs('Lambda function', name, install);
  const concurrency = await clients.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: name }));
  const policy = await orMissing(clients.lambda.send(new GetPolicyCommand({ FunctionName: name })), 'ResourceNotFoundException');
  const statements = policy?.Policy === undefined ? [] : ((JSON.parse(policy.Policy) as { Statement?: PolicyStatementText[] }).Statement ?? []);
  const permissions: Record<string, ObservedPermission> = {};
  for (const statement of statements) {
    if (statement.Sid === undefined) continue;
    const principal = typeof statement.Principal === 'string' ? statement.Principal : statement.Principal?.Service;
    const sourceArn = statement.Condition?.ArnLike?.['AWS:SourceArn'];
    const sourceAccount = statement.Condition?.StringEquals?.['AWS:SourceAccount'];
    permissions[statement.Sid] = {
      ...(principal === undefined ? {} : { principal }),
      ...(sourceArn === undefined ? {} : { sourceArn }),
      ...(sourceAccount === undefined ? {} : { sourceAccount }),
    };
  }
  return functionSnapshot(configuration, tags, permissions, concurrency.ReservedConcurrentExecutions);
}

function functionSnapshot(
  configuration: FunctionConfiguration,
  tags: Record<string, string>,
  permissions: ObservedFunction['permissions'],
  reservedConcurrency: number | undefined,
): ObservedFunction {
  return {
    arn: configuration.FunctionArn ?? '',
    ...(configuration.Handler === undefined ? {} : { handler: configuration.Handler }),
    ...(configuration.Runtime === undefined ? {} : { runtime: configuration.Runtime }),
    ...(configuration.Timeout === undefined ? {} : { timeout: configuration.Timeout }),
    ...(configuration.MemorySize === undefined ? {} : { memorySize: configuration.MemorySize }),
    ...(configuration.Architectures === undefined ? {} : { architectures: configuration.Architectures }),
    ...(configuration.Role === undefined ? {} : { roleArn: configuration.Role }),
    environment: configuration.Environment?.Variables ?? {},
    ...(configuration.CodeSha256 === undefined ? {} : { codeSha256: configuration.CodeSha256 }),
    ...(reservedConcurrency === undefined ? {} : { reservedConcurrency }),
    tags,
    permissions,
  };
}

async function observeLogGroup(clients: Clients, name: string): Promise<{ retentionDays?: number } | undefined> {
  const answer = await clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
  const group = (answer.logGroups ?? []).find((candidate) => candidate.logGroupName === name);
  if (group === undefined) return undefined;
  return group.retentionInDays === undefined ? {} : { retentionDays: group.retentionInDays };
}

/** The install's REST API: named for it and tagged for it (API names are not unique, the tag is). */
async function findApis(clients: Clients, names: InstallNames): Promise<RestApi[]> {
  const found: RestApi[] = [];
  let position: string | undefined;
  do {
    const page = await clients.apigw.send(new GetRestApisCommand({ limit: 500, position }));
    found.push(...(page.items ?? []).filter((api) => api.name === names.api && api.tags?.[INSTALL_TAG] === names.install));
    position = page.position;
  } while (position !== undefined && position !== '');
  return found;
}

async function observeApi(clients: Clients, names: InstallNames, stage: string, warnings: string[]): Promise<ObservedApi | undefined> {
  const apis = await findApis(clients, names);
  const api = apis[0];
  if (api?.id === undefined) return undefined;
  if (apis.length > 1) warnings.push(`${apis.length} REST APIs are named ${names.api} and tagged for this install; using ${api.id}`);
  const resources: ObservedResource[] = [];
  let position: string | undefined;
  let rootId = api.rootResourceId ?? '';
  do {
    const page = await clients.apigw.send(new GetResourcesCommand({ restApiId: api.id, embed: ['methods'], limit: 500, position }));
    for (const item of page.items ?? []) {
      if (item.id === undefined || item.path === undefined) continue;
      if (item.path === '/') rootId = item.id;
      const post = item.resourceMethods?.['POST'];
      resources.push({
        id: item.id,
        path: item.path,
        ...(post === undefined
          ? {}
          : {
              post: {
                ...(post.authorizationType === undefined ? {} : { authorizationType: post.authorizationType }),
                ...(post.methodIntegration?.type === undefined ? {} : { integrationType: post.methodIntegration.type }),
                ...(post.methodIntegration?.uri === undefined ? {} : { integrationUri: post.methodIntegration.uri }),
              },
            }),
      });
    }
    position = page.position;
  } while (position !== undefined && position !== '');
  const stageAnswer = await orMissing(clients.apigw.send(new GetStageCommand({ restApiId: api.id, stageName: stage })), 'NotFoundException');
  const all = stageAnswer?.methodSettings?.['*/*'];
  return {
    id: api.id,
    rootId,
    resources,
    ...(stageAnswer === undefined
      ? {}
      : {
          stage: {
            name: stage,
            ...(all?.throttlingRateLimit === undefined ? {} : { rateLimit: all.throttlingRateLimit }),
            ...(all?.throttlingBurstLimit === undefined ? {} : { burstLimit: all.throttlingBurstLimit }),
          },
        }),
  };
}

/** The topic with this name (the ARN's last segment), paging through ListTopics; names are unique per region. */
async function findTopicArn(clients: Clients, name: string): Promise<string | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await clients.sns.send(new ListTopicsCommand({ NextToken: nextToken }));
    const found = (page.Topics ?? []).find((topic) => topic.TopicArn !== undefined && topicNameOfArn(topic.TopicArn) === name);
    if (found?.TopicArn !== undefined) return found.TopicArn;
    nextToken = page.NextToken;
  } while (nextToken !== undefined && nextToken !== '');
  return undefined;
}

async function topicTags(clients: Clients, arn: string): Promise<Record<string, string>> {
  const answer = await clients.sns.send(new SnsListTagsForResourceCommand({ ResourceArn: arn }));
  return tagsOf(answer.Tags);
}

async function observeTopic(clients: Clients, names: InstallNames): Promise<ObservedTopic | undefined> {
  const arn = await findTopicArn(clients, names.topic);
  if (arn === undefined) return undefined;
  const tags = await topicTags(clients, arn);
  if (tags[INSTALL_TAG] !== names.install) throw notOurs('SNS topic', names.topic, names.install);
  return { arn, tags, subscriptions: await topicSubscriptions(clients, arn) };
}

async function topicSubscriptions(clients: Clients, arn: string): Promise<ObservedSubscription[]> {
  const subscriptions: ObservedSubscription[] = [];
  let nextToken: string | undefined;
  do {
    const page = await clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn, NextToken: nextToken }));
    for (const subscription of page.Subscriptions ?? []) {
      if (subscription.Protocol === undefined || subscription.Endpoint === undefined) continue;
      subscriptions.push({ arn: subscription.SubscriptionArn ?? '', protocol: subscription.Protocol, endpoint: subscription.Endpoint });
    }
    nextToken = page.NextToken;
  } while (nextToken !== undefined && nextToken !== '');
  return subscriptions;
}

interface EcsFindings {
  readonly passRoleArns: string[];
  readonly account?: string;
  readonly runBefore: RunBeforeScope;
}

/**
 * The task and execution roles that the task definitions running the repositories name: a
 * rollout registers copies of those definitions, which passes those roles to ECS.
 */
async function discoverPassRoles(aws: AwsConfig, repositories: readonly string[], clusters: readonly string[]): Promise<EcsFindings> {
  const ecs = new SdkEcs(new ECSClient(clientConfig(aws)));
  const state = await discoverRolloutState(ecs, {
    ...(clusters.length === 0 ? {} : { clusters }),
    allFamilies: false,
    concurrency: 4,
  });
  const wanted = new Set(repositories);
  const arns = new Set<string>();
  const running: TaskDefinitionSnapshot[] = [];
  let account: string | undefined;
  for (const service of state.services) account ??= accountOfArn(service.serviceArn);
  for (const definition of Object.values(state.taskDefinitions)) {
    account ??= accountOfArn(definition.arn);
    const containers = (definition.definition['containerDefinitions'] ?? []) as { image?: string }[];
    const runsRepository = containers.some((container) => {
      if (container.image === undefined) return false;
      try {
        return wanted.has(parseImageReference(container.image).repository);
      } catch {
        return false;
      }
    });
    if (!runsRepository) continue;
    running.push(definition);
    for (const key of ['taskRoleArn', 'executionRoleArn']) {
      const value = definition.definition[key];
      if (typeof value === 'string' && value !== '') arns.add(value);
    }
  }
  return { passRoleArns: [...arns], ...(account === undefined ? {} : { account }), runBefore: runBeforeScope(running) };
}

// ---------------------------------------------------------------------------------------------
// Installing

async function codeSha256(zip: Uint8Array): Promise<string> {
  return createHash('sha256').update(zip).digest('base64');
}

function roleNameToArn(value: string, account: string, region: string): string {
  // ECS accepts a role's bare name as well; IAM policies need the ARN.
  return value.startsWith('arn:') ? value : roleArn({ region, account }, value);
}

export async function runInstall(request: InstallRequest): Promise<InstallReport> {
  const clients = createClients(request.aws);
  const names = installNames(request.name);
  const region = await clients.lambda.config.region();
  const clock = request.clock ?? realClock;
  const warnings: string[] = [];

  // Reading: everything the plan needs, and nothing changed yet.
  const [role, receiver, worker, receiverLogs, workerLogs, api, topic] = await Promise.all([
    observeRole(clients, names),
    observeFunction(clients, names.functions.receiver, names.install),
    observeFunction(clients, names.functions.worker, names.install),
    observeLogGroup(clients, names.logGroups.receiver),
    observeLogGroup(clients, names.logGroups.worker),
    observeApi(clients, names, request.stage, warnings),
    observeTopic(clients, names),
  ]);
  // Settings left out keep what the install runs with (the worker's environment holds all of them).
  const { settings, changes: settingChanges } = mergeInstallSettings(
    {
      ...(request.repositories === undefined ? {} : { repositories: request.repositories }),
      ...(request.clusters === undefined ? {} : { clusters: request.clusters }),
      ...(request.policy === undefined ? {} : { policy: request.policy }),
      ...(request.strategy === undefined ? {} : { strategy: request.strategy }),
      ...(request.timeoutSeconds === undefined ? {} : { timeoutSeconds: request.timeoutSeconds }),
    },
    installedSettings(worker?.environment ?? receiver?.environment),
  );
  const ecs = await discoverPassRoles(request.aws, settings.repositories, settings.clusters);
  // Run-before specs given replace the installed ones; left out, the installed ones stay, like the settings above.
  const runBefore = request.runBefore ?? installedRunBefore(worker?.environment ?? receiver?.environment);
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
      ...((request.pinDigest ?? (worker ?? receiver)?.environment[REGISTRY_ENV.pinDigest] === 'true') ? { pinDigest: true } : {}),
      ...((request.verify ?? (worker ?? receiver)?.environment[REGISTRY_ENV.verify] !== 'false') ? {} : { verify: false }),
      runBefore,
    }),
    [ENV.workerFunction]: names.functions.worker,
    [ENV.pushQueue]: queueNames(names.install).pushes,
    [ENV.followQueue]: queueNames(names.install).follow,
  };
  const at = { region, account };
  const executionRole = roleArn(at, names.role);
  const spec = (role: FunctionRole): FunctionSpec => ({
    name: names.functions[role],
    handler: HANDLERS[role],
    runtime: LAMBDA_RUNTIME,
    timeout: role === 'receiver' ? 10 : 900,
    memorySize: role === 'receiver' ? 256 : 512,
    architecture: ARCHITECTURE,
    roleArn: executionRole,
    environment,
  });
  const zip = await lambdaZip();
  const passRoleArns = [...new Set(ecs.passRoleArns.map((value) => roleNameToArn(value, account, region)))].sort();
  const policyDocument = withRunBeforeStatements(
    installPolicyDocument({
      ...at,
      names,
      clusters: settings.clusters,
      passRoleArns,
      repositories: settings.repositories,
      taskLogGroups: ecs.runBefore.logGroups,
    }),
    runBefore.length === 0 ? [] : runBeforeStatements({ ...at, partition: partitionOf(region) }, settings.clusters, ecs.runBefore),
  );
  const desired: DesiredInstall = {
    ...at,
    names,
    stage: request.stage,
    trustPolicy: TRUST_POLICY_DOCUMENT,
    policyDocument,
    functions: { receiver: spec('receiver'), worker: spec('worker') },
    codeSha256: await codeSha256(zip),
    logRetentionDays: LOG_RETENTION_DAYS,
    tags: { [INSTALL_TAG]: names.install },
  };
  // AWS's size limits, before anything changes (the allow-list and --cluster values are what grow).
  checkInstallLimits(policyDocument, environment, { variable: ENV.repositories, option: '--repo' });
  const actions = planInstall(desired, observed);

  const known = { account: observedAccount, apiId: api?.id };
  const queueActions: string[] = [];
  if (!request.dryRun) {
    const executor = new Executor(clients, request, clock, zip, api, warnings);
    for (const planned of actions) {
      if (request.signal.aborted) throw new OperationFailedError('interrupted; run install again to finish (it picks up where this run stopped)');
      const action = resolveAction(planned, known);
      const learned = await executor.apply(action);
      if (learned.account !== undefined) known.account = learned.account;
      if (learned.apiId !== undefined) known.apiId = learned.apiId;
      request.progress.done(describeAction(resolveAction(action, known)));
    }
    // The queues once the account is known; the mappings once the worker and its policy exist.
    const queuesAt = { region, account: known.account ?? account };
    const { applyQueues, applyMappings } = await import('./install-queues.js');
    for (const line of [
      ...(await applyQueues(request.aws, queuesAt, names.install, desired.functions.worker.timeout)),
      ...(await applyMappings(request.aws, queuesAt, names.install, names.functions.worker)),
    ]) {
      queueActions.push(line);
      request.progress.done(line);
    }
  }

  const finalAccount = known.account ?? UNKNOWN_ACCOUNT;
  const apiId = known.apiId ?? UNKNOWN_API_ID;
  const finalAt = { region, account: finalAccount };
  const resolve = <T>(value: T): T => {
    const text = JSON.stringify(value).replaceAll(UNKNOWN_ACCOUNT, finalAccount).replaceAll(UNKNOWN_API_ID, apiId);
    return JSON.parse(text) as T;
  };
  const urlToken = token ?? (request.dryRun && issueToken ? DRY_RUN_TOKEN_PLACEHOLDER : KEPT_TOKEN_PLACEHOLDER);
  return {
    name: names.install,
    dryRun: request.dryRun,
    region,
    account: finalAccount,
    role: { name: names.role, arn: roleArn(finalAt, names.role) },
    policy: { name: names.policy, document: resolve(policyDocument) },
    functions: {
      receiver: { name: names.functions.receiver, arn: functionArn(finalAt, names.functions.receiver) },
      worker: { name: names.functions.worker, arn: functionArn(finalAt, names.functions.worker) },
    },
    api: { name: names.api, id: apiId },
    topic: { name: names.topic, arn: topic?.arn ?? topicArn(finalAt, names.topic) },
    stage: request.stage,
    url: invokeUrl(request.aws, process.env, region, apiId, request.stage, urlToken),
    tokenIssued: token !== undefined,
    logGroups: FUNCTION_ROLES.map((role) => names.logGroups[role]),
    passRoleArns: resolve(passRoleArns),
    actions: actions.map((action) => ({ kind: action.kind, description: describeAction(resolve(action)) })),
    queues: { ...queueNames(names.install) },
    queueActions,
    warnings,
    settings: { ...settings, policy: formatPolicy(settings.policy) },
    settingChanges,
  };
}

const ACTIVE_TIMEOUT_MS = 5 * 60_000;

/** Carries out one action at a time, remembering the ids that later actions need. */
class Executor {
  private apiId: string | undefined;
  private readonly resourceIds = new Map<string, string>();

  constructor(
    private readonly clients: Clients,
    private readonly request: InstallRequest,
    private readonly clock: RetryClock,
    private readonly zip: Uint8Array,
    api: ObservedApi | undefined,
    private readonly warnings: string[],
  ) {
    this.apiId = api?.id;
    if (api !== undefined) {
      this.resourceIds.set('/', api.rootId);
      for (const resource of api.resources) this.resourceIds.set(resource.path, resource.id);
    }
  }

  private restApiId(): string {
    if (this.apiId === undefined) throw new OperationFailedError('internal: the REST API is not known yet');
    return this.apiId;
  }

  private resourceId(path: string): string {
    const id = this.resourceIds.get(path);
    if (id === undefined) throw new OperationFailedError(`internal: API resource ${path} is not known yet`);
    return id;
  }

  async apply(action: InstallAction): Promise<{ account?: string; apiId?: string }> {
    const { iam, lambda, apigw, logs, sns } = this.clients;
    const tags = (record: Readonly<Record<string, string>>) => Object.entries(record).map(([Key, Value]) => ({ Key, Value }));
    switch (action.kind) {
      case 'create-role': {
        const answer = await iam.send(
          new CreateRoleCommand({
            RoleName: action.role,
            AssumeRolePolicyDocument: JSON.stringify(action.trustPolicy),
            Description: `ecs-roll webhook functions (install ${this.request.name})`,
            Tags: tags(action.tags),
          }),
        );
        const account = answer.Role?.Arn === undefined ? undefined : accountOfArn(answer.Role.Arn);
        if (account === undefined) throw new OperationFailedError(`CreateRole answered without a role ARN to read the account from`);
        return { account };
      }
      case 'update-trust-policy':
        await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: action.role, PolicyDocument: JSON.stringify(action.trustPolicy) }));
        return {};
      case 'put-role-policy':
        await iam.send(new PutRolePolicyCommand({ RoleName: action.role, PolicyName: action.policyName, PolicyDocument: JSON.stringify(action.document) }));
        return {};
      case 'create-log-group':
        await logs.send(new CreateLogGroupCommand({ logGroupName: action.logGroup, tags: { ...action.tags } }));
        await logs.send(new PutRetentionPolicyCommand({ logGroupName: action.logGroup, retentionInDays: action.retentionDays }));
        return {};
      case 'put-retention':
        await logs.send(new PutRetentionPolicyCommand({ logGroupName: action.logGroup, retentionInDays: action.retentionDays }));
        return {};
      case 'create-function':
        await this.createFunction(action.function, action.tags);
        return {};
      case 'update-function-code':
        await this.waitUntilReady(action.functionName);
        await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: action.functionName, ZipFile: this.zip, Architectures: [ARCHITECTURE as Architecture] }));
        await this.waitUntilReady(action.functionName);
        return {};
      case 'update-function-configuration': {
        const fn = action.function;
        await this.waitUntilReady(fn.name);
        await retryWhileRolePropagates(
          () =>
            lambda.send(
              new UpdateFunctionConfigurationCommand({
                FunctionName: fn.name,
                Handler: fn.handler,
                Runtime: fn.runtime as Runtime,
                Timeout: fn.timeout,
                MemorySize: fn.memorySize,
                Role: fn.roleArn,
                Environment: { Variables: { ...fn.environment } },
              }),
            ),
          this.clock,
          { signal: this.request.signal },
        );
        await this.waitUntilReady(fn.name);
        return {};
      }
      case 'put-concurrency':
        try {
          await lambda.send(
            new PutFunctionConcurrencyCommand({ FunctionName: action.functionName, ReservedConcurrentExecutions: action.reservedConcurrency }),
          );
        } catch (error) {
          if (isNamed(error, 'ResourceNotFoundException', 'ServiceException')) throw error;
          const message =
            `could not reserve concurrency ${action.reservedConcurrency} for ${action.functionName} ` +
            `(${error instanceof Error ? error.message : String(error)}); two rollouts may then run at once`;
          this.warnings.push(message);
          this.request.progress.warn(message);
        }
        return {};
      case 'create-rest-api': {
        const answer = await apigw.send(
          new CreateRestApiCommand({
            name: action.api,
            description: `ecs-roll webhook receiver (install ${this.request.name})`,
            endpointConfiguration: { types: ['REGIONAL'] },
            tags: { ...action.tags },
          }),
        );
        if (answer.id === undefined) throw new OperationFailedError('CreateRestApi answered without an id');
        this.apiId = answer.id;
        let rootId = answer.rootResourceId;
        if (rootId === undefined) {
          const resources = await apigw.send(new GetResourcesCommand({ restApiId: answer.id }));
          rootId = resources.items?.find((item) => item.path === '/')?.id;
        }
        if (rootId === undefined) throw new OperationFailedError(`REST API ${answer.id} has no root resource`);
        this.resourceIds.set('/', rootId);
        return { apiId: answer.id };
      }
      case 'create-resource': {
        const answer = await apigw.send(
          new CreateResourceCommand({ restApiId: this.restApiId(), parentId: this.resourceId(action.parentPath), pathPart: action.pathPart }),
        );
        if (answer.id === undefined) throw new OperationFailedError(`CreateResource ${action.path} answered without an id`);
        this.resourceIds.set(action.path, answer.id);
        return {};
      }
      case 'put-method':
        await apigw.send(
          new PutMethodCommand({
            restApiId: this.restApiId(),
            resourceId: this.resourceId(action.path),
            httpMethod: action.httpMethod,
            authorizationType: action.authorizationType,
          }),
        );
        return {};
      case 'put-integration':
        await apigw.send(
          new PutIntegrationCommand({
            restApiId: this.restApiId(),
            resourceId: this.resourceId(action.path),
            httpMethod: action.httpMethod,
            type: action.type,
            // Lambda proxy integrations are always called with POST, whatever the method.
            integrationHttpMethod: 'POST',
            uri: action.uri,
          }),
        );
        return {};
      case 'create-deployment':
        await apigw.send(
          new CreateDeploymentCommand({ restApiId: this.restApiId(), stageName: action.stage, description: `ecs-roll install ${this.request.name}` }),
        );
        return {};
      case 'update-stage-throttling':
        await apigw.send(
          new UpdateStageCommand({
            restApiId: this.restApiId(),
            stageName: action.stage,
            patchOperations: [
              { op: 'replace', path: '/*/*/throttling/rateLimit', value: String(action.rateLimit) },
              { op: 'replace', path: '/*/*/throttling/burstLimit', value: String(action.burstLimit) },
            ],
          }),
        );
        return {};
      case 'remove-permission':
        await orMissing(
          lambda.send(new RemovePermissionCommand({ FunctionName: action.functionName, StatementId: action.statementId })),
          'ResourceNotFoundException',
        );
        return {};
      case 'add-permission':
        await lambda.send(
          new AddPermissionCommand({
            FunctionName: action.functionName,
            StatementId: action.statementId,
            Action: 'lambda:InvokeFunction',
            Principal: action.principal,
            ...(action.sourceArn === undefined ? {} : { SourceArn: action.sourceArn }),
            ...(action.sourceAccount === undefined ? {} : { SourceAccount: action.sourceAccount }),
          }),
        );
        return {};
      case 'create-topic': {
        const answer = await sns.send(new CreateTopicCommand({ Name: action.topic, Tags: tags(action.tags) }));
        // The plan named the ARN in advance (the permission and the subscription use it); it must be this one.
        if (answer.TopicArn !== action.topicArn) {
          throw new OperationFailedError(`CreateTopic ${action.topic} answered ${answer.TopicArn ?? 'no ARN'}, not the expected ${action.topicArn}`);
        }
        return {};
      }
      case 'subscribe':
        await sns.send(new SubscribeCommand({ TopicArn: action.topicArn, Protocol: action.protocol, Endpoint: action.endpoint, ReturnSubscriptionArn: true }));
        return {};
    }
  }

  private async createFunction(fn: FunctionSpec, tags: Readonly<Record<string, string>>): Promise<void> {
    let wait: { update(text: string): void; stop(): void } | undefined;
    try {
      await retryWhileRolePropagates(
        () =>
          this.clients.lambda.send(
            new CreateFunctionCommand({
              FunctionName: fn.name,
              Role: fn.roleArn,
              Runtime: fn.runtime as Runtime,
              Handler: fn.handler,
              Code: { ZipFile: this.zip },
              Timeout: fn.timeout,
              MemorySize: fn.memorySize,
              Architectures: [fn.architecture as Architecture],
              Environment: { Variables: { ...fn.environment } },
              Description: `ecs-roll webhook ${fn.handler === HANDLERS.receiver ? 'receiver' : 'worker'} (install ${this.request.name})`,
              Tags: { ...tags },
            }),
          ),
        this.clock,
        {
          signal: this.request.signal,
          onRetry: (attempt, elapsedMs) => {
            const text = `waiting for IAM to let Lambda assume role ${this.request.name} (new roles take up to a few minutes; ${Math.round(elapsedMs / 1000)} s, attempt ${attempt})`;
            if (wait === undefined) wait = this.request.progress.waiting(text);
            else wait.update(text);
          },
        },
      );
    } finally {
      wait?.stop();
    }
    await this.waitUntilReady(fn.name);
  }

  /** Until the function is Active and no update is in progress: Lambda refuses changes before. */
  private async waitUntilReady(name: string): Promise<void> {
    const started = this.clock.now();
    let wait: { update(text: string): void; stop(): void } | undefined;
    try {
      for (;;) {
        const configuration = await this.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
        const state = configuration.State ?? 'Active';
        const update = configuration.LastUpdateStatus ?? 'Successful';
        if (state === 'Failed') throw new OperationFailedError(`Lambda function ${name} failed to start: ${configuration.StateReason ?? 'no reason given'}`);
        if (update === 'Failed') {
          throw new OperationFailedError(`the last update of Lambda function ${name} failed: ${configuration.LastUpdateStatusReason ?? 'no reason given'}`);
        }
        if (state === 'Active' && update !== 'InProgress') return;
        const elapsed = this.clock.now() - started;
        if (elapsed > ACTIVE_TIMEOUT_MS) {
          throw new OperationFailedError(`Lambda function ${name} is still ${state} (update ${update}) after ${Math.round(elapsed / 1000)} s`);
        }
        const text = `waiting for Lambda function ${name} to be ready (${state}, update ${update})`;
        if (wait === undefined) wait = this.request.progress.waiting(text);
        else wait.update(text);
        if (this.request.signal.aborted) throw new OperationFailedError('interrupted; run install again to finish');
        await this.clock.sleep(1000);
      }
    } finally {
      wait?.stop();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Uninstalling

export type RemovalStatus = 'deleted' | 'already gone' | 'not ours, left alone';

export interface RemovalReport {
  readonly kind: 'rest-api' | 'sns-topic' | 'lambda-function' | 'iam-role-policy' | 'iam-role' | 'log-group' | 'sqs-queue' | 'event-source-mapping';
  readonly name: string;
  readonly id?: string;
  readonly status: RemovalStatus;
  readonly reason?: string;
  /** For the topic: how many subscriptions went with it. */
  readonly subscriptions?: number;
}

export async function runUninstall(request: { aws: AwsConfig; name: string; signal: AbortSignal }): Promise<RemovalReport[]> {
  const clients = createClients(request.aws);
  const names = installNames(request.name);
  const removed: RemovalReport[] = [];

  // The API first: it stops taking webhooks before the functions behind it go.
  const apis = await findApis(clients, names);
  if (apis.length === 0) removed.push({ kind: 'rest-api', name: names.api, status: 'already gone' });
  for (const api of apis) {
    if (api.id === undefined) continue;
    const gone = await orMissing(clients.apigw.send(new DeleteRestApiCommand({ restApiId: api.id })), 'NotFoundException');
    removed.push({ kind: 'rest-api', name: names.api, id: api.id, status: gone === undefined ? 'already gone' : 'deleted' });
  }

  // The alarm topic, before the worker it delivers to; DeleteTopic takes its subscriptions with it.
  // DeleteTopic also succeeds for a topic that does not exist, so "already gone" comes from ListTopics.
  const topicArnFound = await findTopicArn(clients, names.topic);
  if (topicArnFound === undefined) {
    removed.push({ kind: 'sns-topic', name: names.topic, status: 'already gone' });
  } else {
    const tags = await orMissing(topicTags(clients, topicArnFound), 'NotFoundException', 'NotFound', 'ResourceNotFoundException');
    if (tags === undefined) {
      removed.push({ kind: 'sns-topic', name: names.topic, id: topicArnFound, status: 'already gone' });
    } else if (tags[INSTALL_TAG] !== names.install) {
      removed.push({
        kind: 'sns-topic',
        name: names.topic,
        id: topicArnFound,
        status: 'not ours, left alone',
        reason: `no tag ${INSTALL_TAG}=${names.install}`,
      });
    } else {
      const subscriptions = await orMissing(topicSubscriptions(clients, topicArnFound), 'NotFoundException', 'NotFound');
      await clients.sns.send(new DeleteTopicCommand({ TopicArn: topicArnFound }));
      removed.push({ kind: 'sns-topic', name: names.topic, id: topicArnFound, status: 'deleted', subscriptions: subscriptions?.length ?? 0 });
    }
  }

  // The queues and their mappings: nothing more reaches the worker.
  const { removeQueues } = await import('./install-queues.js');
  removed.push(...(await removeQueues(request.aws, names.install, names.functions.worker)));

  // The functions; their resource policies (the API Gateway and alarm permissions) go with them.
  const foreign = new Set<FunctionRole>();
  // A function left in place keeps running as its role: that role must stay, whoever made it.
  const rolesInUse = new Map<string, string>();
  for (const role of ['receiver', 'worker'] as const) {
    const name = names.functions[role];
    const answer = await orMissing(clients.lambda.send(new GetFunctionCommand({ FunctionName: name })), 'ResourceNotFoundException');
    if (answer === undefined) {
      removed.push({ kind: 'lambda-function', name, status: 'already gone' });
    } else if ((await functionTags(clients.lambda, answer))[INSTALL_TAG] !== names.install) {
      removed.push({ kind: 'lambda-function', name, status: 'not ours, left alone', reason: `no tag ${INSTALL_TAG}=${names.install}` });
      foreign.add(role);
      if (answer.Configuration?.Role !== undefined) rolesInUse.set(answer.Configuration.Role, name);
    } else {
      const gone = await orMissing(clients.lambda.send(new DeleteFunctionCommand({ FunctionName: name })), 'ResourceNotFoundException');
      removed.push({ kind: 'lambda-function', name, status: gone === undefined ? 'already gone' : 'deleted' });
    }
  }

  // The role: its inline policy first, as IAM refuses to delete a role that still has one.
  const role = await orMissing(clients.iam.send(new GetRoleCommand({ RoleName: names.role })), 'NoSuchEntityException');
  if (role === undefined) {
    removed.push({ kind: 'iam-role-policy', name: names.policy, status: 'already gone' });
    removed.push({ kind: 'iam-role', name: names.role, status: 'already gone' });
  } else if (tagsOf(role.Role?.Tags)[INSTALL_TAG] !== names.install) {
    removed.push({ kind: 'iam-role', name: names.role, status: 'not ours, left alone', reason: `no tag ${INSTALL_TAG}=${names.install}` });
  } else if (role.Role?.Arn !== undefined && rolesInUse.has(role.Role.Arn)) {
    removed.push({
      kind: 'iam-role',
      name: names.role,
      status: 'not ours, left alone',
      reason: `Lambda function ${rolesInUse.get(role.Role.Arn) ?? '?'}, which is not this install's and stays, still runs as it`,
    });
  } else {
    const policy = await orMissing(
      clients.iam.send(new DeleteRolePolicyCommand({ RoleName: names.role, PolicyName: names.policy })),
      'NoSuchEntityException',
    );
    removed.push({ kind: 'iam-role-policy', name: names.policy, status: policy === undefined ? 'already gone' : 'deleted' });
    try {
      const gone = await orMissing(clients.iam.send(new DeleteRoleCommand({ RoleName: names.role })), 'NoSuchEntityException');
      removed.push({ kind: 'iam-role', name: names.role, status: gone === undefined ? 'already gone' : 'deleted' });
    } catch (error) {
      if (!isNamed(error, 'DeleteConflictException')) throw error;
      throw new OperationFailedError(
        `IAM role ${names.role} still has policies that install did not put there; detach them and run uninstall again`,
        { cause: error },
      );
    }
  }

  // The functions' log groups: named for functions that were this install's.
  for (const role of FUNCTION_ROLES) {
    const name = names.logGroups[role];
    if (foreign.has(role)) {
      removed.push({ kind: 'log-group', name, status: 'not ours, left alone', reason: `its function is not this install's` });
      continue;
    }
    const gone = await orMissing(clients.logs.send(new DeleteLogGroupCommand({ logGroupName: name })), 'ResourceNotFoundException');
    removed.push({ kind: 'log-group', name, status: gone === undefined ? 'already gone' : 'deleted' });
  }
  return removed;
}

/** The run-before specs an existing install's worker runs; none when unset or unreadable. */
function installedRunBefore(environment: Readonly<Record<string, string>> | undefined): RunBeforeSpec[] {
  try {
    return parseRunBeforeEnv(environment?.[ENV.runBefore]);
  } catch {
    return [];
  }
}
