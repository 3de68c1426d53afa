/**
 * `ecs-roll install` as data: the actions that take what exists to what should. Pure: no SDK, no
 * console, no clock of its own, so the plan can be printed (--dry-run, --json) and unit-tested
 * exactly. Names live in install-names.ts, the IAM document in install-iam.ts, ARNs in arn.ts.
 */
import { functionArn, topicArn } from './arn.js';
import { alarmsArnPattern, samePolicy } from './install-iam.js';
import {
  ALARM_PERMISSION_STATEMENT_ID,
  ALARM_PRINCIPAL,
  FUNCTION_ROLES,
  integrationUri,
  PERMISSION_STATEMENT_ID,
  permissionSourceArn,
  ROUTE_PARTS,
  ROUTE_PATH,
  SNS_PERMISSION_STATEMENT_ID,
  SNS_PRINCIPAL,
  STAGE_THROTTLING,
  UNKNOWN_ACCOUNT,
  UNKNOWN_API_ID,
} from './install-names.js';
import type { DesiredInstall, DesiredRole, FunctionSpec, InstallAction, ObservedFunction, ObservedInstall, ObservedRole } from './install-types.js';

// Those who plan an install also name, price and wait for it: one import for all of it.
export * from './arn.js';
export * from './install-iam.js';
export * from './install-names.js';
export * from './install-retry.js';
export * from './install-types.js';

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

  // The roles first: the functions run as them, and cannot be created without them.
  const worker = planRole(desired, { name: names.role, policyName: names.policy, document: desired.policyDocument }, observed.role);
  // Managed policies are in place and attached before the inline policy shrinks, and go only after it
  // (and the role's permissions) no longer need them: the worker never runs with less than it needs.
  const managed = planManagedPolicies(desired, observed);
  const workerPolicy = [...managed.before, ...worker.policy, ...managed.after];
  // The receiver's own role before the receiver is created or moved onto it.
  const receiver = desired.receiverRole === undefined ? undefined : planRole(desired, desired.receiverRole, observed.receiverRole);
  const move = receiver === undefined ? [] : planReceiverMove(desired.functions.receiver, observed.functions.receiver);
  if (move.length === 0) {
    actions.push(...worker.role, ...workerPolicy, ...(receiver?.role ?? []), ...(receiver?.policy ?? []));
  } else {
    // An older install's receiver still runs as the worker's role, whose new policy no longer grants what only
    // the receiver calls (SendMessage to the pushes queue, its log group): the receiver moves onto its own role,
    // ready with its policy, before the worker's policy changes, so it never runs with less than it needs either.
    actions.push(...worker.role, ...(receiver?.role ?? []), ...(receiver?.policy ?? []), ...move, ...workerPolicy);
  }
  const observedReceiver = move.length === 0 ? observed.functions.receiver : movedReceiver(observed.functions.receiver, desired.functions.receiver);

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
    const current = role === 'receiver' ? observedReceiver : observed.functions[role];
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
  if (desired.topicPolicy !== undefined && (topic?.policy === undefined || !samePolicy(topic.policy, desired.topicPolicy))) {
    actions.push({ kind: 'set-topic-policy', topicArn: alarmTopicArn, policy: desired.topicPolicy });
  }
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

  // CloudWatch's direct Lambda alarm action: alarms of this account and region may invoke the worker, scoped
  // with SourceArn and SourceAccount as CloudWatch documents it.
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-actions-Lambda.html
  actions.push(
    ...planPermission(observed.functions.worker, {
      functionName: names.functions.worker,
      statementId: ALARM_PERMISSION_STATEMENT_ID,
      principal: ALARM_PRINCIPAL,
      sourceArn: alarmsArnPattern(desired),
      sourceAccount: desired.account,
    }),
  );
  return actions;
}

/** A role that Lambda assumes, created or corrected, and its inline policy put when it differs. */
function planRole(
  desired: DesiredInstall,
  role: DesiredRole,
  observed: ObservedRole | undefined,
): { role: InstallAction[]; policy: InstallAction[] } {
  const roleActions: InstallAction[] = [];
  if (observed === undefined) {
    roleActions.push({ kind: 'create-role', role: role.name, trustPolicy: desired.trustPolicy, tags: desired.tags });
  } else if (!samePolicy(observed.trustPolicy, desired.trustPolicy)) {
    roleActions.push({ kind: 'update-trust-policy', role: role.name, trustPolicy: desired.trustPolicy });
  }
  const policy: InstallAction[] =
    observed?.policyDocument === undefined || !samePolicy(observed.policyDocument, role.document)
      ? [{ kind: 'put-role-policy', role: role.name, policyName: role.policyName, document: role.document }]
      : [];
  return { role: roleActions, policy };
}

/**
 * A receiver that runs as another role than its own (an install made before the receiver had one ran it as
 * the worker's) is moved onto its own role by itself: its code, handler, environment and sizes stay as they
 * are until the functions' turn in the plan, so nothing but the role changes this early.
 */
function planReceiverMove(spec: FunctionSpec, current: ObservedFunction | undefined): InstallAction[] {
  if (current?.roleArn === undefined || current.roleArn === spec.roleArn) return [];
  const kept: FunctionSpec = {
    ...spec,
    handler: current.handler ?? spec.handler,
    runtime: current.runtime ?? spec.runtime,
    timeout: current.timeout ?? spec.timeout,
    memorySize: current.memorySize ?? spec.memorySize,
    environment: current.environment,
  };
  return [{ kind: 'update-function-configuration', function: kept, changed: ['role'] }];
}

/** The receiver as it is once moved: what the functions' part of the plan compares with. */
function movedReceiver(current: ObservedFunction | undefined, spec: FunctionSpec): ObservedFunction | undefined {
  return current === undefined ? undefined : { ...current, roleArn: spec.roleArn };
}

/** The worker's managed policies: created or updated and attached (before), detached and deleted when no longer wanted (after). */
function planManagedPolicies(desired: DesiredInstall, observed: ObservedInstall): { before: InstallAction[]; after: InstallAction[] } {
  if (desired.managedPolicies === undefined) return { before: [], after: [] };
  const role = desired.names.role;
  const existing = new Map((observed.managedPolicies ?? []).map((policy) => [policy.name, policy]));
  const before: InstallAction[] = [];
  for (const policy of desired.managedPolicies) {
    const found = existing.get(policy.name);
    if (found === undefined) {
      before.push({
        kind: 'create-managed-policy',
        policyName: policy.name,
        path: policy.path,
        arn: policy.arn,
        document: policy.document,
        tags: desired.tags,
      });
    } else if (found.document === undefined || !samePolicy(found.document, policy.document)) {
      before.push({ kind: 'update-managed-policy', arn: found.arn, document: policy.document });
    }
    if (found?.attached !== true) before.push({ kind: 'attach-role-policy', role, arn: found?.arn ?? policy.arn });
  }
  const wanted = new Set(desired.managedPolicies.map((policy) => policy.name));
  const after: InstallAction[] = [];
  for (const policy of observed.managedPolicies ?? []) {
    if (wanted.has(policy.name)) continue;
    if (policy.attached) after.push({ kind: 'detach-role-policy', role, arn: policy.arn });
    after.push({ kind: 'delete-managed-policy', arn: policy.arn });
  }
  return { before, after };
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
      if (action.sourceArn !== undefined && action.sourceAccount !== undefined) {
        return `allow ${action.principal} to invoke ${action.functionName} from ${action.sourceArn} (account ${action.sourceAccount})`;
      }
      return action.sourceArn !== undefined
        ? `allow ${action.principal} to invoke ${action.functionName} from ${action.sourceArn}`
        : `allow ${action.principal} to invoke ${action.functionName} from account ${action.sourceAccount ?? '?'}`;
    case 'create-topic':
      return `create SNS topic ${action.topic} for alarms (${action.topicArn})`;
    case 'create-managed-policy':
      return `create managed IAM policy ${action.policyName} (the worker's permissions that do not fit its inline policy)`;
    case 'update-managed-policy':
      return `update managed IAM policy ${action.arn}`;
    case 'attach-role-policy':
      return `attach managed IAM policy ${action.arn} to role ${action.role}`;
    case 'detach-role-policy':
      return `detach managed IAM policy ${action.arn} from role ${action.role}`;
    case 'delete-managed-policy':
      return `delete managed IAM policy ${action.arn} (no longer needed)`;
    case 'set-topic-policy':
      return `let only CloudWatch alarms of this account publish to SNS topic ${action.topicArn}`;
    case 'subscribe':
      return `subscribe ${action.endpoint} to SNS topic ${action.topicArn} (protocol ${action.protocol})`;
  }
}

/** Replaces the stand-ins for the account and the API id in an action once they are known. */
export function resolveAction(action: InstallAction, known: { account?: string | undefined; apiId?: string | undefined }): InstallAction {
  let text = JSON.stringify(action);
  if (known.account !== undefined) text = text.replaceAll(UNKNOWN_ACCOUNT, known.account);
  if (known.apiId !== undefined) text = text.replaceAll(UNKNOWN_API_ID, known.apiId);
  return JSON.parse(text) as InstallAction;
}
