/**
 * `ecs-roll install` as data: the names, the IAM policy, what should exist, and the actions that
 * take what exists to it. Pure: no SDK, no console, no clock of its own, so the plan can be
 * printed (--dry-run, --json) and unit-tested exactly.
 */
import { queueStatements } from './install-queues.js';

import { ecrReadStatement } from './registry-policy.js';

/** Every resource install creates carries this tag, with the install's name as its value. */
export const INSTALL_TAG = 'ecs-roll:install';
/** A name fragment valid in IAM role names, Lambda function names and log group names. */
export const INSTALL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,40}$/;
/** API Gateway stage names: letters, digits, hyphens, underscores, at most 128. */
export const STAGE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
/** ECS cluster names: letters, digits, hyphens, underscores, at most 255. */
export const CLUSTER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;
export const LOG_RETENTION_DAYS = 30;
/** Fixed, so that running install again finds its statement instead of adding another. */
export const PERMISSION_STATEMENT_ID = 'ecs-roll-apigateway-invoke';
/** The worker's statement for the alarm topic's deliveries; fixed for the same reason. */
export const SNS_PERMISSION_STATEMENT_ID = 'ecs-roll-sns-invoke';
/** The worker's statement for CloudWatch's direct Lambda alarm action; fixed for the same reason. */
export const ALARM_PERMISSION_STATEMENT_ID = 'ecs-roll-cloudwatch-alarm-invoke';
export const SNS_PRINCIPAL = 'sns.amazonaws.com';
export const ALARM_PRINCIPAL = 'lambda.alarms.cloudwatch.amazonaws.com';
export const STAGE_THROTTLING = { rateLimit: 5, burstLimit: 10 } as const;
/** The webhook's route; the last part is the token. */
export const ROUTE_PARTS = ['hooks', 'dockerhub', '{token}'] as const;
export const ROUTE_PATH = `/${ROUTE_PARTS.join('/')}`;
export const ARCHITECTURE = 'arm64';
export const ROLE_PROPAGATION_MAX_MS = 180_000;

/** Stand-ins for what only exists once created; the apply step fills them in (and dry-run prints them). */
export const UNKNOWN_ACCOUNT = '<account-id>';
export const UNKNOWN_API_ID = '<api-id>';

export type FunctionRole = 'receiver' | 'worker';
export const FUNCTION_ROLES: readonly FunctionRole[] = ['receiver', 'worker'];

export interface InstallNames {
  readonly install: string;
  readonly role: string;
  readonly policy: string;
  readonly api: string;
  readonly functions: Readonly<Record<FunctionRole, string>>;
  readonly logGroups: Readonly<Record<FunctionRole, string>>;
  /** The SNS topic that alarms notify; `scale policy` finds it by this name (the ARN's last segment). */
  readonly topic: string;
}

export function installNames(name: string): InstallNames {
  const functions = { receiver: `${name}-receiver`, worker: `${name}-worker` };
  return {
    install: name,
    role: name,
    policy: `${name}-policy`,
    api: name,
    functions,
    logGroups: { receiver: `/aws/lambda/${functions.receiver}`, worker: `/aws/lambda/${functions.worker}` },
    topic: `${name}-alarms`,
  };
}

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

function dnsSuffix(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/** `arn:aws:iam::123456789012:role/x` → `123456789012`. */
export function accountOfArn(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account !== undefined && /^\d{12}$/.test(account) ? account : undefined;
}

export interface Location {
  readonly region: string;
  readonly account: string;
}

export function functionArn(at: Location, functionName: string): string {
  return `arn:${partitionOf(at.region)}:lambda:${at.region}:${at.account}:function:${functionName}`;
}

export function roleArn(at: Location, roleName: string): string {
  return `arn:${partitionOf(at.region)}:iam::${at.account}:role/${roleName}`;
}

export function topicArn(at: Location, topicName: string): string {
  return `arn:${partitionOf(at.region)}:sns:${at.region}:${at.account}:${topicName}`;
}

/** `arn:aws:sns:eu-west-1:123456789012:ecs-roll-alarms` → `ecs-roll-alarms`. */
export function topicNameOfArn(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}

export function integrationUri(region: string, receiverArn: string): string {
  return `arn:${partitionOf(region)}:apigateway:${region}:lambda:path/2015-03-31/functions/${receiverArn}/invocations`;
}

export function permissionSourceArn(at: Location, apiId: string): string {
  return `arn:${partitionOf(at.region)}:execute-api:${at.region}:${at.account}:${apiId}/*/POST/hooks/dockerhub/*`;
}

export function webhookUrl(region: string, apiId: string, stage: string, token: string): string {
  return `https://${apiId}.execute-api.${region}.${dnsSuffix(region)}/${stage}/hooks/dockerhub/${token}`;
}

// ---------------------------------------------------------------------------------------------
// IAM

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/** IAM's trust policies name a Principal rather than a Resource, so this one is written out. */
export const TRUST_POLICY_DOCUMENT = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
} as const;

export interface PolicyInput extends Location {
  readonly names: InstallNames;
  /** Cluster names the install is limited to; every cluster when empty. */
  readonly clusters: readonly string[];
  /** Task and execution role ARNs that the task definitions running the repositories name. */
  readonly passRoleArns: readonly string[];
  /** The allow-list: its ECR repositories get the read statement the tag check needs. */
  readonly repositories?: readonly string[];
  /** awslogs groups of the task definitions running the repositories: the diagnosis reads their log tails. */
  readonly taskLogGroups?: readonly string[];
}

/**
 * The worker's least privilege: what a rollout and the alarm path call, scoped as far as each
 * action's resource-level support allows. ECS's list and describe calls and RegisterTaskDefinition
 * take no resource ARN, so they alone get "*"; CloudWatch's alarm calls take alarm ARNs.
 */
export function installPolicyDocument(input: PolicyInput): PolicyDocument {
  const partition = partitionOf(input.region);
  const ecs = `arn:${partition}:ecs:${input.region}:${input.account}`;
  const alarms = `arn:${partition}:cloudwatch:${input.region}:${input.account}:alarm:*`;
  const clusters = input.clusters.length === 0 ? ['*'] : [...new Set(input.clusters)].sort();
  const passRoles = [...new Set(input.passRoleArns)].sort();
  const logs = FUNCTION_ROLES.map(
    (role) => `arn:${partition}:logs:${input.region}:${input.account}:log-group:${input.names.logGroups[role]}:*`,
  );
  const statements: PolicyStatement[] = [
    {
      Sid: 'EcsRead',
      Effect: 'Allow',
      Action: [
        'ecs:DescribeServices',
        'ecs:DescribeTaskDefinition',
        'ecs:DescribeTasks',
        'ecs:ListClusters',
        'ecs:ListServices',
        'ecs:ListTasks',
        // The stage of BLUE_GREEN, LINEAR and CANARY deployments, and ECS's own rollback of them.
        'ecs:ListServiceDeployments',
        'ecs:DescribeServiceDeployments',
        // `replace` counts a load-balanced replacement only once its targets are healthy, as ECS does.
        'elasticloadbalancing:DescribeTargetHealth',
        // …and finds which `instance` target is a bridge or host task by the EC2 id of its container instance.
        'ecs:DescribeContainerInstances',
      ],
      Resource: '*',
    },
    { Sid: 'EcsRegisterTaskDefinition', Effect: 'Allow', Action: 'ecs:RegisterTaskDefinition', Resource: '*' },
    { Sid: 'EcsTagTaskDefinition', Effect: 'Allow', Action: 'ecs:TagResource', Resource: `${ecs}:task-definition/*` },
    { Sid: 'EcsUpdateService', Effect: 'Allow', Action: 'ecs:UpdateService', Resource: clusters.map((c) => `${ecs}:service/${c}/*`) },
    { Sid: 'EcsStopTask', Effect: 'Allow', Action: 'ecs:StopTask', Resource: clusters.map((c) => `${ecs}:task/${c}/*`) },
    // The alarm path: the policy in the alarm's tags, the service's tags, and its scaled-at tag.
    {
      Sid: 'EcsServiceTags',
      Effect: 'Allow',
      Action: ['ecs:ListTagsForResource', 'ecs:TagResource'],
      Resource: clusters.map((c) => `${ecs}:service/${c}/*`),
    },
    { Sid: 'CloudWatchReadAlarms', Effect: 'Allow', Action: ['cloudwatch:DescribeAlarms', 'cloudwatch:ListTagsForResource'], Resource: alarms },
    ...ecrReadStatement(input.repositories ?? []),
    ...taskLogsStatement(input, input.taskLogGroups ?? []),
  ];
  if (passRoles.length > 0) {
    statements.push({
      Sid: 'PassTaskRoles',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: passRoles,
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    });
  }
  statements.push(
    { Sid: 'InvokeWorker', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: functionArn(input, input.names.functions.worker) },
    { Sid: 'WriteLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: logs },
    ...queueStatements(input, input.names.install),
  );
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * The diagnosis of a failed push (and a --run-before task's report) reads the last lines of the failed
 * containers' awslogs streams; only the groups the task definitions in use name, so without any there is no
 * statement and the diagnosis goes on without log tails.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html
 */
function taskLogsStatement(at: Location, groups: readonly string[]): PolicyStatement[] {
  if (groups.length === 0) return [];
  const logs = `arn:${partitionOf(at.region)}:logs:${at.region}:${at.account}`;
  const resources = [...new Set(groups)].sort().map((group) => `${logs}:log-group:${group}:log-stream:*`);
  return [{ Sid: 'ReadTaskLogs', Effect: 'Allow', Action: 'logs:GetLogEvents', Resource: resources }];
}

/** Compares documents by meaning: key order and single-versus-list spellings do not count. */
export function samePolicy(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(canonical);
    return items.length === 1 ? items[0] : items;
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, field]) => field !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, field]) => [key, canonical(field)]),
    );
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Desired and observed state

export interface FunctionSpec {
  readonly name: string;
  readonly handler: string;
  readonly runtime: string;
  readonly timeout: number;
  readonly memorySize: number;
  readonly architecture: string;
  readonly roleArn: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly reservedConcurrency?: number;
}

export interface DesiredInstall extends Location {
  readonly names: InstallNames;
  readonly stage: string;
  readonly trustPolicy: unknown;
  readonly policyDocument: PolicyDocument;
  readonly functions: Readonly<Record<FunctionRole, FunctionSpec>>;
  /** Base64 SHA-256 of the deployment zip, as Lambda reports CodeSha256. */
  readonly codeSha256: string;
  readonly logRetentionDays: number;
  readonly tags: Readonly<Record<string, string>>;
}

export interface ObservedFunction {
  readonly arn: string;
  readonly handler?: string;
  readonly runtime?: string;
  readonly timeout?: number;
  readonly memorySize?: number;
  readonly architectures?: readonly string[];
  readonly roleArn?: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly codeSha256?: string;
  readonly reservedConcurrency?: number;
  readonly tags: Readonly<Record<string, string>>;
  /** The resource policy's statements, by Sid. */
  readonly permissions: Readonly<Record<string, ObservedPermission>>;
}

export interface ObservedPermission {
  readonly principal?: string;
  readonly sourceArn?: string;
  readonly sourceAccount?: string;
}

export interface ObservedSubscription {
  readonly arn: string;
  readonly protocol: string;
  readonly endpoint: string;
}

export interface ObservedTopic {
  readonly arn: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly subscriptions: readonly ObservedSubscription[];
}

export interface ObservedResource {
  readonly id: string;
  readonly path: string;
  readonly post?: { readonly authorizationType?: string; readonly integrationType?: string; readonly integrationUri?: string };
}

export interface ObservedApi {
  readonly id: string;
  readonly rootId: string;
  readonly resources: readonly ObservedResource[];
  readonly stage?: { readonly name: string; readonly rateLimit?: number; readonly burstLimit?: number };
}

export interface ObservedInstall {
  readonly account?: string;
  readonly role?: {
    readonly arn: string;
    readonly tags: Readonly<Record<string, string>>;
    readonly trustPolicy?: unknown;
    readonly policyDocument?: unknown;
  };
  readonly functions: Readonly<Partial<Record<FunctionRole, ObservedFunction>>>;
  readonly logGroups: Readonly<Partial<Record<FunctionRole, { readonly retentionDays?: number }>>>;
  readonly api?: ObservedApi;
  readonly topic?: ObservedTopic;
}

export type InstallAction =
  | { readonly kind: 'create-role'; readonly role: string; readonly trustPolicy: unknown; readonly tags: Readonly<Record<string, string>> }
  | { readonly kind: 'update-trust-policy'; readonly role: string; readonly trustPolicy: unknown }
  | { readonly kind: 'put-role-policy'; readonly role: string; readonly policyName: string; readonly document: PolicyDocument }
  | { readonly kind: 'create-log-group'; readonly logGroup: string; readonly retentionDays: number; readonly tags: Readonly<Record<string, string>> }
  | { readonly kind: 'put-retention'; readonly logGroup: string; readonly retentionDays: number }
  | { readonly kind: 'create-function'; readonly function: FunctionSpec; readonly codeSha256: string; readonly tags: Readonly<Record<string, string>> }
  | { readonly kind: 'update-function-code'; readonly functionName: string; readonly codeSha256: string }
  | { readonly kind: 'update-function-configuration'; readonly function: FunctionSpec; readonly changed: readonly string[] }
  | { readonly kind: 'put-concurrency'; readonly functionName: string; readonly reservedConcurrency: number }
  | { readonly kind: 'create-rest-api'; readonly api: string; readonly tags: Readonly<Record<string, string>> }
  | { readonly kind: 'create-resource'; readonly parentPath: string; readonly pathPart: string; readonly path: string }
  | { readonly kind: 'put-method'; readonly path: string; readonly httpMethod: 'POST'; readonly authorizationType: 'NONE' }
  | { readonly kind: 'put-integration'; readonly path: string; readonly httpMethod: 'POST'; readonly type: 'AWS_PROXY'; readonly uri: string }
  | { readonly kind: 'create-deployment'; readonly stage: string }
  | { readonly kind: 'update-stage-throttling'; readonly stage: string; readonly rateLimit: number; readonly burstLimit: number }
  | { readonly kind: 'remove-permission'; readonly functionName: string; readonly statementId: string }
  | {
      readonly kind: 'add-permission';
      readonly functionName: string;
      readonly statementId: string;
      readonly principal: string;
      /** Exactly one of the two: the resource that may call, or the account whose resources may. */
      readonly sourceArn?: string;
      readonly sourceAccount?: string;
    }
  | { readonly kind: 'create-topic'; readonly topic: string; readonly topicArn: string; readonly tags: Readonly<Record<string, string>> }
  | { readonly kind: 'subscribe'; readonly topicArn: string; readonly protocol: 'lambda'; readonly endpoint: string };

function sameEnvironment(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => a[key] === b[key]);
}

/** Which configuration fields of a function differ from its spec (by name, never by value: env holds the hash). */
export function functionConfigChanges(spec: FunctionSpec, observed: ObservedFunction): string[] {
  const changed: string[] = [];
  if (observed.handler !== spec.handler) changed.push('handler');
  if (observed.runtime !== spec.runtime) changed.push('runtime');
  if (observed.timeout !== spec.timeout) changed.push('timeout');
  if (observed.memorySize !== spec.memorySize) changed.push('memory');
  if (observed.roleArn !== spec.roleArn) changed.push('role');
  if (!sameEnvironment(observed.environment, spec.environment)) {
    const keys = new Set([...Object.keys(observed.environment), ...Object.keys(spec.environment)]);
    for (const key of [...keys].sort()) if (observed.environment[key] !== spec.environment[key]) changed.push(`env ${key}`);
  }
  return changed;
}

/**
 * The actions, in the order they must run, that take `observed` to `desired`. Nothing is listed
 * for what already matches, so running install twice plans nothing the second time.
 */
export function planInstall(desired: DesiredInstall, observed: ObservedInstall): InstallAction[] {
  const actions: InstallAction[] = [];
  const { names } = desired;

  // The role first: everything else runs as it, and the functions cannot be created without it.
  if (observed.role === undefined) {
    actions.push({ kind: 'create-role', role: names.role, trustPolicy: desired.trustPolicy, tags: desired.tags });
  } else if (!samePolicy(observed.role.trustPolicy, desired.trustPolicy)) {
    actions.push({ kind: 'update-trust-policy', role: names.role, trustPolicy: desired.trustPolicy });
  }
  if (observed.role?.policyDocument === undefined || !samePolicy(observed.role.policyDocument, desired.policyDocument)) {
    actions.push({ kind: 'put-role-policy', role: names.role, policyName: names.policy, document: desired.policyDocument });
  }

  // Log groups before the functions, so the first invocation logs with the retention already set.
  for (const role of FUNCTION_ROLES) {
    const group = observed.logGroups[role];
    if (group === undefined) {
      actions.push({ kind: 'create-log-group', logGroup: names.logGroups[role], retentionDays: desired.logRetentionDays, tags: desired.tags });
    } else if (group.retentionDays !== desired.logRetentionDays) {
      actions.push({ kind: 'put-retention', logGroup: names.logGroups[role], retentionDays: desired.logRetentionDays });
    }
  }

  // The worker before the receiver: the receiver's environment names it.
  for (const role of ['worker', 'receiver'] as const) {
    const spec = desired.functions[role];
    const current = observed.functions[role];
    if (current === undefined) {
      actions.push({ kind: 'create-function', function: spec, codeSha256: desired.codeSha256, tags: desired.tags });
    } else {
      if (current.codeSha256 !== desired.codeSha256) {
        actions.push({ kind: 'update-function-code', functionName: spec.name, codeSha256: desired.codeSha256 });
      }
      const changed = functionConfigChanges(spec, current);
      if (changed.length > 0) actions.push({ kind: 'update-function-configuration', function: spec, changed });
    }
    if (spec.reservedConcurrency !== undefined && current?.reservedConcurrency !== spec.reservedConcurrency) {
      actions.push({ kind: 'put-concurrency', functionName: spec.name, reservedConcurrency: spec.reservedConcurrency });
    }
  }

  // The API: its route, the method and the integration, then a deployment when any of them changed.
  const api = observed.api;
  if (api === undefined) actions.push({ kind: 'create-rest-api', api: names.api, tags: desired.tags });
  const apiId = api?.id ?? UNKNOWN_API_ID;
  const receiverArn = functionArn(desired, names.functions.receiver);
  const uri = integrationUri(desired.region, receiverArn);
  let apiChanged = false;
  let parentPath = '';
  for (const part of ROUTE_PARTS) {
    const path = `${parentPath}/${part}`;
    if (api?.resources.some((resource) => resource.path === path) !== true) {
      actions.push({ kind: 'create-resource', parentPath: parentPath === '' ? '/' : parentPath, pathPart: part, path });
      apiChanged = true;
    }
    parentPath = path;
  }
  const post = api?.resources.find((resource) => resource.path === ROUTE_PATH)?.post;
  if (post === undefined || post.authorizationType !== 'NONE') {
    actions.push({ kind: 'put-method', path: ROUTE_PATH, httpMethod: 'POST', authorizationType: 'NONE' });
    apiChanged = true;
  }
  if (post === undefined || post.authorizationType !== 'NONE' || post.integrationType !== 'AWS_PROXY' || post.integrationUri !== uri) {
    actions.push({ kind: 'put-integration', path: ROUTE_PATH, httpMethod: 'POST', type: 'AWS_PROXY', uri });
    apiChanged = true;
  }
  const stage = api?.stage;
  if (apiChanged || stage === undefined) {
    actions.push({ kind: 'create-deployment', stage: desired.stage });
  }
  if (stage === undefined || stage.rateLimit !== STAGE_THROTTLING.rateLimit || stage.burstLimit !== STAGE_THROTTLING.burstLimit) {
    actions.push({ kind: 'update-stage-throttling', stage: desired.stage, ...STAGE_THROTTLING });
  }

  // API Gateway may call the receiver, from this API's webhook route only.
  actions.push(
    ...planPermission(observed.functions.receiver, {
      functionName: names.functions.receiver,
      statementId: PERMISSION_STATEMENT_ID,
      principal: 'apigateway.amazonaws.com',
      sourceArn: permissionSourceArn(desired, apiId),
    }),
  );

  // The alarm topic: alarms notify it, and it delivers to the worker. Subscriptions that someone
  // else added (an e-mail address, a queue) are theirs and stay.
  const topic = observed.topic;
  const alarmTopicArn = topic?.arn ?? topicArn(desired, names.topic);
  if (topic === undefined) actions.push({ kind: 'create-topic', topic: names.topic, topicArn: alarmTopicArn, tags: desired.tags });
  // The permission before the subscription, so that the first delivery may already invoke.
  actions.push(
    ...planPermission(observed.functions.worker, {
      functionName: names.functions.worker,
      statementId: SNS_PERMISSION_STATEMENT_ID,
      principal: SNS_PRINCIPAL,
      sourceArn: alarmTopicArn,
    }),
  );
  const workerArn = functionArn(desired, names.functions.worker);
  if (topic?.subscriptions.some((subscription) => subscription.protocol === 'lambda' && subscription.endpoint === workerArn) !== true) {
    actions.push({ kind: 'subscribe', topicArn: alarmTopicArn, protocol: 'lambda', endpoint: workerArn });
  }

  // CloudWatch's direct Lambda alarm action: any alarm of this account may invoke the worker.
  actions.push(
    ...planPermission(observed.functions.worker, {
      functionName: names.functions.worker,
      statementId: ALARM_PERMISSION_STATEMENT_ID,
      principal: ALARM_PRINCIPAL,
      sourceAccount: desired.account,
    }),
  );
  return actions;
}

type AddPermission = Omit<Extract<InstallAction, { kind: 'add-permission' }>, 'kind'>;

/**
 * Nothing when the function's statement with this Sid says exactly this; otherwise the statement is
 * (removed, when it says something else, and) added. Lambda refuses a second statement with one Sid.
 */
function planPermission(current: ObservedFunction | undefined, wanted: AddPermission): InstallAction[] {
  const statement = current?.permissions[wanted.statementId];
  if (
    statement !== undefined &&
    statement.principal === wanted.principal &&
    statement.sourceArn === wanted.sourceArn &&
    statement.sourceAccount === wanted.sourceAccount
  ) {
    return [];
  }
  return [
    ...(statement === undefined ? [] : [{ kind: 'remove-permission', functionName: wanted.functionName, statementId: wanted.statementId } as const]),
    { kind: 'add-permission', ...wanted },
  ];
}

/** What an action does, in one line, for people. The environment's values never appear. */
export function describeAction(action: InstallAction): string {
  switch (action.kind) {
    case 'create-role':
      return `create IAM role ${action.role} (trusted by lambda.amazonaws.com)`;
    case 'update-trust-policy':
      return `update the trust policy of IAM role ${action.role}`;
    case 'put-role-policy':
      return `put inline policy ${action.policyName} on IAM role ${action.role}`;
    case 'create-log-group':
      return `create log group ${action.logGroup} (retention ${action.retentionDays} days)`;
    case 'put-retention':
      return `set the retention of log group ${action.logGroup} to ${action.retentionDays} days`;
    case 'create-function':
      return `create Lambda function ${action.function.name} (${action.function.handler}, ${action.function.runtime}, ${action.function.timeout} s, ${action.function.memorySize} MB)`;
    case 'update-function-code':
      return `update the code of Lambda function ${action.functionName}`;
    case 'update-function-configuration':
      return `update the configuration of Lambda function ${action.function.name} (${action.changed.join(', ')})`;
    case 'put-concurrency':
      return `reserve concurrency ${action.reservedConcurrency} for Lambda function ${action.functionName}`;
    case 'create-rest-api':
      return `create REST API ${action.api}`;
    case 'create-resource':
      return `create API resource ${action.path}`;
    case 'put-method':
      return `put method ${action.httpMethod} ${action.path} (authorization ${action.authorizationType})`;
    case 'put-integration':
      return `integrate ${action.httpMethod} ${action.path} with the receiver (${action.type})`;
    case 'create-deployment':
      return `deploy the API to stage ${action.stage}`;
    case 'update-stage-throttling':
      return `throttle stage ${action.stage} to ${action.rateLimit} requests/s, burst ${action.burstLimit}`;
    case 'remove-permission':
      return `remove the outdated permission ${action.statementId} from ${action.functionName}`;
    case 'add-permission':
      return action.sourceArn !== undefined
        ? `allow ${action.principal} to invoke ${action.functionName} from ${action.sourceArn}`
        : `allow ${action.principal} to invoke ${action.functionName} from account ${action.sourceAccount ?? '?'}`;
    case 'create-topic':
      return `create SNS topic ${action.topic} for alarms (${action.topicArn})`;
    case 'subscribe':
      return `subscribe ${action.endpoint} to SNS topic ${action.topicArn} (protocol ${action.protocol})`;
  }
}

/** Replaces the stand-ins for the account and the API id in an action once they are known. */
export function resolveAction(action: InstallAction, known: { account?: string; apiId?: string }): InstallAction {
  let text = JSON.stringify(action);
  if (known.account !== undefined) text = text.replaceAll(UNKNOWN_ACCOUNT, known.account);
  if (known.apiId !== undefined) text = text.replaceAll(UNKNOWN_API_ID, known.apiId);
  return JSON.parse(text) as InstallAction;
}

// ---------------------------------------------------------------------------------------------
// Waiting for IAM

export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Lambda's answer while a new role has not reached every region's IAM replica yet. */
export function isRolePropagationError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'InvalidParameterValueException' && /cannot be assumed by Lambda/i.test(error.message);
}

/**
 * Runs `call` until it stops failing with the role-propagation error, backing off from 1 s to
 * 10 s, for at most `maxMs`; any other error, or the same error after the deadline, is thrown.
 */
export async function retryWhileRolePropagates<T>(
  call: () => Promise<T>,
  clock: RetryClock,
  options: { maxMs?: number; onRetry?: (attempt: number, elapsedMs: number) => void; signal?: AbortSignal } = {},
): Promise<T> {
  const maxMs = options.maxMs ?? ROLE_PROPAGATION_MAX_MS;
  const started = clock.now();
  let delay = 1000;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      const elapsed = clock.now() - started;
      if (!isRolePropagationError(error) || elapsed + delay > maxMs || options.signal?.aborted === true) throw error;
      options.onRetry?.(attempt, elapsed);
      await clock.sleep(delay);
      delay = Math.min(delay * 2, 10_000);
    }
  }
}
