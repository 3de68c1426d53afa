// The worker's role grants only what the worker calls, the receiver's only what the receiver calls, and an
// older install whose receiver still runs as the worker's role is moved before that role loses anything.
import { describe, expect, it } from 'vitest';
import { desiredInstall } from '../../src/core/install-desired.js';
import {
  installNames,
  planInstall,
  receiverPolicyDocument,
  roleArn,
  TRUST_POLICY_DOCUMENT,
  INSTALL_TAG,
  type DesiredInstall,
  type InstallAction,
  type ObservedFunction,
  type ObservedInstall,
  type PolicyDocument,
} from '../../src/core/install-plan.js';

const at = { region: 'eu-west-1', account: '111122223333' };
const names = installNames('hooks');
const PUSHES = 'arn:aws:sqs:eu-west-1:111122223333:hooks-pushes.fifo';
const FOLLOW = 'arn:aws:sqs:eu-west-1:111122223333:hooks-follow';
const WORKER = 'arn:aws:lambda:eu-west-1:111122223333:function:hooks-worker';
const WORKER_LOGS = 'arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/hooks-worker:log-stream:2026/11/30/[$LATEST]abc';
const RECEIVER_LOGS = 'arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/hooks-receiver:log-stream:2026/11/30/[$LATEST]abc';

const desired: DesiredInstall = desiredInstall({
  ...at,
  names,
  stage: 'live',
  handlers: { receiver: 'handler.receive', worker: 'handler.work' },
  runtime: 'nodejs22.x',
  codeSha256: 'c29tZSBzaGE=',
  environment: { ECS_ROLL_PUSH_QUEUE: 'hooks-pushes.fifo' },
  clusters: ['prod'],
  repositories: ['docker.io/acme/web'],
  passRoles: [],
  runBefore: { scope: { families: [], logGroups: [] }, enabled: false },
});

/** IAM's answer for an identity policy with Allow statements only: some statement names the action and matches the resource. */
function allows(document: unknown, action: string, resource: string): boolean {
  const pattern = (text: string) =>
    new RegExp(
      `^${text
        .split('*')
        .map((part) => part.replace(/[.?+^$()[\]{}|\\]/g, '\\$&'))
        .join('.*')}$`,
    );
  const list = (value: string | readonly string[]) => (typeof value === 'string' ? [value] : value);
  return (document as PolicyDocument).Statement.some(
    (statement) =>
      statement.Effect === 'Allow' &&
      list(statement.Action).some((granted) => pattern(granted).test(action)) &&
      list(statement.Resource).some((granted) => pattern(granted).test(resource)),
  );
}

describe("the worker's role", () => {
  // Every AWS call of src/lambda/queue-handler.ts and the receiver's hand-off in src/lambda/handler.ts, with the
  // resource it acts on; the logs lines are Lambda's own, written with the function's execution role.
  it.each([
    ['sqs:SendMessage', FOLLOW, true, 'follow messages and alarm re-checks'],
    ['sqs:SendMessage', PUSHES, false, "the receiver's hand-off only"],
    ['sqs:GetQueueUrl', FOLLOW, true, 'the follow queue by name'],
    ['sqs:GetQueueUrl', PUSHES, true, "a failed push's queue, to shorten its invisibility"],
    ['sqs:ChangeMessageVisibility', PUSHES, true, 'a failed push comes back soon'],
    ['sqs:ChangeMessageVisibility', FOLLOW, true, 'a failed follow message comes back soon'],
    ['sqs:ReceiveMessage', PUSHES, true, 'the mapping polls'],
    ['sqs:DeleteMessage', FOLLOW, true, 'the mapping deletes what succeeded'],
    ['sqs:GetQueueAttributes', PUSHES, true, 'the mapping reads the queue'],
    ['logs:PutLogEvents', WORKER_LOGS, true, 'its own lines'],
    ['logs:CreateLogStream', RECEIVER_LOGS, false, "the receiver's log group"],
    ['logs:PutLogEvents', RECEIVER_LOGS, false, "the receiver's log group"],
    ['lambda:InvokeFunction', WORKER, false, 'the worker invokes no function'],
  ])('%s on %s: %s (%s)', (action, resource, allowed) => {
    expect(allows(desired.permissions, action, resource)).toBe(allowed);
    // The document install puts (inline and, past IAM's size, managed) says the same.
    const put = [desired.policyDocument, ...(desired.managedPolicies ?? []).map((policy) => policy.document)];
    expect(put.some((document) => allows(document, action, resource))).toBe(allowed);
  });

  it('names no Lambda action, the pushes queue only where it consumes, and one log group', () => {
    const text = JSON.stringify(desired.permissions);
    expect(text).not.toContain('lambda:');
    expect(text).not.toContain('/aws/lambda/hooks-receiver');
    const naming = (desired.permissions?.Statement ?? []).filter((statement) => JSON.stringify(statement.Resource).includes(PUSHES));
    expect(naming.flatMap((statement) => [statement.Action].flat()).sort()).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ]);
  });
});

describe("the receiver's role", () => {
  const document = receiverPolicyDocument(at, names);
  it.each([
    ['sqs:SendMessage', PUSHES, true],
    ['sqs:GetQueueUrl', PUSHES, true],
    ['sqs:SendMessage', FOLLOW, false],
    ['logs:PutLogEvents', RECEIVER_LOGS, true],
    ['logs:PutLogEvents', WORKER_LOGS, false],
    // Installs always give the receiver the pushes queue, so it never takes the invoke fallback.
    ['lambda:InvokeFunction', WORKER, false],
  ])('%s on %s: %s', (action, resource, allowed) => {
    expect(allows(document, action, resource)).toBe(allowed);
  });
});

// -----------------------------------------------------------------------------------------------
// An install made before the receiver had its own role: the receiver runs as the worker's role, whose policy
// still grants what the receiver calls (as the worker's policy did then).

const WORKER_ROLE = roleArn(at, names.role);
const RECEIVER_ROLE = roleArn(at, names.receiverRole);

const legacyWorkerPolicy: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    ...(desired.policyDocument.Statement ?? []),
    { Sid: 'InvokeWorker', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: WORKER },
    {
      Sid: 'ReceiverLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: 'arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/hooks-receiver:*',
    },
    { Sid: 'QueueSend', Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueUrl'], Resource: [PUSHES, FOLLOW] },
  ],
};

function observedFunction(role: 'receiver' | 'worker', overrides: Partial<ObservedFunction> = {}): ObservedFunction {
  const spec = desired.functions[role];
  return {
    arn: `arn:aws:lambda:eu-west-1:111122223333:function:${spec.name}`,
    handler: spec.handler,
    runtime: spec.runtime,
    timeout: spec.timeout,
    memorySize: spec.memorySize,
    roleArn: spec.roleArn,
    environment: { ...spec.environment },
    codeSha256: desired.codeSha256,
    tags: { [INSTALL_TAG]: 'hooks' },
    permissions: {},
    ...overrides,
  };
}

const trustPolicy = JSON.parse(JSON.stringify(TRUST_POLICY_DOCUMENT)) as unknown;

function olderInstall(receiver: Partial<ObservedFunction> = {}): ObservedInstall {
  return {
    account: at.account,
    role: { arn: WORKER_ROLE, tags: { [INSTALL_TAG]: 'hooks' }, trustPolicy, policyDocument: legacyWorkerPolicy },
    managedPolicies: [],
    functions: { worker: observedFunction('worker'), receiver: observedFunction('receiver', { roleArn: WORKER_ROLE, ...receiver }) },
    logGroups: { receiver: { retentionDays: 30 }, worker: { retentionDays: 30 } },
  };
}

/**
 * Plays the plan's role and policy actions in order and reports, after each, whether the role the receiver runs
 * as lets it hand a push off (GetQueueUrl and SendMessage on the pushes queue).
 */
function receiverCanHandOff(observed: ObservedInstall, actions: readonly InstallAction[]): boolean[] {
  const policies = new Map<string, unknown>([[WORKER_ROLE, observed.role?.policyDocument]]);
  if (observed.receiverRole?.policyDocument !== undefined) policies.set(RECEIVER_ROLE, observed.receiverRole.policyDocument);
  let receiverRole = observed.functions.receiver?.roleArn ?? '';
  return actions.map((action) => {
    if (action.kind === 'put-role-policy') policies.set(roleArn(at, action.role), action.document);
    if (action.kind === 'update-function-configuration' && action.function.name === names.functions.receiver) receiverRole = action.function.roleArn;
    const document = policies.get(receiverRole);
    return document !== undefined && allows(document, 'sqs:SendMessage', PUSHES) && allows(document, 'sqs:GetQueueUrl', PUSHES);
  });
}

describe('planInstall: moving an older install’s receiver off the worker’s role', () => {
  it('creates the receiver role, moves the receiver onto it, and only then trims the worker’s policy', () => {
    const observed = olderInstall();
    const actions = planInstall(desired, observed);
    const steps = actions.map((action) => `${action.kind} ${'role' in action ? action.role : 'function' in action ? action.function.name : ''}`);
    expect(steps.slice(0, 4)).toEqual([
      'create-role hooks-receiver',
      'put-role-policy hooks-receiver',
      'update-function-configuration hooks-receiver',
      'put-role-policy hooks',
    ]);
    // Nothing else of the receiver differs, so it is not configured a second time.
    expect(steps.filter((step) => step.startsWith('update-function-configuration'))).toHaveLength(1);
    expect(receiverCanHandOff(observed, actions).every(Boolean)).toBe(true);
    // The move changes the role alone: the receiver's code, handler and environment wait for the functions' turn.
    expect(actions[2]).toMatchObject({ kind: 'update-function-configuration', changed: ['role'], function: { roleArn: RECEIVER_ROLE } });
  });

  it('keeps the receiver as it is but for its role, and configures the rest after the code update', () => {
    const observed = olderInstall({ environment: { ECS_ROLL_PUSH_QUEUE: 'hooks-pushes.fifo', ECS_ROLL_POLICY: 'any' }, timeout: 30 });
    const actions = planInstall({ ...desired, codeSha256: 'bmV3IGNvZGU=' }, observed);
    const receiverSteps = actions.filter(
      (action) =>
        (action.kind === 'update-function-code' && action.functionName === names.functions.receiver) ||
        (action.kind === 'update-function-configuration' && action.function.name === names.functions.receiver),
    );
    expect(receiverSteps.map((action) => (action.kind === 'update-function-configuration' ? action.changed : action.kind))).toEqual([
      ['role'],
      'update-function-code',
      ['timeout', 'env ECS_ROLL_POLICY'],
    ]);
    expect(receiverSteps[0]).toMatchObject({
      function: { roleArn: RECEIVER_ROLE, timeout: 30, environment: { ECS_ROLL_PUSH_QUEUE: 'hooks-pushes.fifo', ECS_ROLL_POLICY: 'any' } },
    });
    expect(receiverCanHandOff(observed, actions).every(Boolean)).toBe(true);
  });

  it('would leave the receiver without SendMessage for a while had the worker’s policy gone first (what the order prevents)', () => {
    const observed = olderInstall();
    const actions = planInstall(desired, observed);
    const workerFirst = [
      ...actions.filter((action) => action.kind === 'put-role-policy' && action.role === names.role),
      ...actions.filter((action) => !(action.kind === 'put-role-policy' && action.role === names.role)),
    ];
    expect(receiverCanHandOff(observed, workerFirst)).toContain(false);
  });

  it('keeps the usual order when the receiver already runs as its own role', () => {
    const observed: ObservedInstall = {
      ...olderInstall({ roleArn: RECEIVER_ROLE }),
      receiverRole: { arn: RECEIVER_ROLE, tags: { [INSTALL_TAG]: 'hooks' }, trustPolicy, policyDocument: desired.receiverRole?.document },
    };
    const actions = planInstall(desired, observed);
    expect(actions.filter((action) => action.kind === 'update-function-configuration')).toEqual([]);
    expect(actions[0]).toMatchObject({ kind: 'put-role-policy', role: 'hooks' });
    expect(receiverCanHandOff(observed, actions).every(Boolean)).toBe(true);
  });
});
