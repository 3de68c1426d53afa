import { describe, expect, it } from 'vitest';
import { alarmTopicName } from '../../src/core/alarm.js';
import {
  ALARM_PERMISSION_STATEMENT_ID,
  type DesiredInstall,
  describeAction,
  type FunctionSpec,
  functionArn,
  INSTALL_TAG,
  installNames,
  installPolicyDocument,
  integrationUri,
  type ObservedFunction,
  type ObservedInstall,
  PERMISSION_STATEMENT_ID,
  permissionSourceArn,
  planInstall,
  ROUTE_PATH,
  resolveAction,
  roleArn,
  SNS_PERMISSION_STATEMENT_ID,
  TRUST_POLICY_DOCUMENT,
  topicArn,
  UNKNOWN_ACCOUNT,
  UNKNOWN_API_ID,
  webhookUrl,
} from '../../src/core/install-plan.js';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const names = installNames('hooks');
/** A function whose reserved concurrency was removed: GetFunctionConcurrency answers none. */
function withoutReservedConcurrency(observed: ObservedFunction): ObservedFunction {
  const { reservedConcurrency: _lost, ...rest } = observed;
  return rest;
}

const at = { region: REGION, account: ACCOUNT };
const env = { ECS_ROLL_TOKEN_SHA256: 'a'.repeat(64), ECS_ROLL_REPOS: 'docker.io/acme/web', ECS_ROLL_POLICY: 'any' };

function spec(role: 'receiver' | 'worker'): FunctionSpec {
  return {
    name: names.functions[role],
    handler: role === 'receiver' ? 'handler.receive' : 'handler.work',
    runtime: 'nodejs22.x',
    timeout: role === 'receiver' ? 10 : 900,
    memorySize: role === 'receiver' ? 256 : 512,
    architecture: 'arm64',
    roleArn: roleArn(at, names.role),
    environment: env,
    ...(role === 'worker' ? { reservedConcurrency: 1 } : {}),
  };
}

const desired: DesiredInstall = {
  ...at,
  names,
  stage: 'live',
  trustPolicy: TRUST_POLICY_DOCUMENT,
  policyDocument: installPolicyDocument({ ...at, names, clusters: [], passRoleArns: [] }),
  functions: { receiver: spec('receiver'), worker: spec('worker') },
  codeSha256: 'c29tZSBzaGE=',
  logRetentionDays: 30,
  tags: { [INSTALL_TAG]: 'hooks' },
};

function observedFunction(role: 'receiver' | 'worker', apiId: string): ObservedFunction {
  const wanted = desired.functions[role];
  return {
    arn: functionArn(at, wanted.name),
    handler: wanted.handler,
    runtime: wanted.runtime,
    timeout: wanted.timeout,
    memorySize: wanted.memorySize,
    architectures: ['arm64'],
    roleArn: wanted.roleArn,
    environment: { ...wanted.environment },
    codeSha256: desired.codeSha256,
    ...(wanted.reservedConcurrency === undefined ? {} : { reservedConcurrency: wanted.reservedConcurrency }),
    tags: { ...desired.tags },
    permissions:
      role === 'receiver'
        ? { [PERMISSION_STATEMENT_ID]: { principal: 'apigateway.amazonaws.com', sourceArn: permissionSourceArn(at, apiId) } }
        : {
            [SNS_PERMISSION_STATEMENT_ID]: { principal: 'sns.amazonaws.com', sourceArn: TOPIC_ARN },
            [ALARM_PERMISSION_STATEMENT_ID]: { principal: 'lambda.alarms.cloudwatch.amazonaws.com', sourceArn: ALARMS_ARN, sourceAccount: ACCOUNT },
          },
  };
}

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:111122223333:hooks-alarms';
const ALARMS_ARN = 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:*';
const WORKER_ARN = 'arn:aws:lambda:eu-west-1:111122223333:function:hooks-worker';

/** What AWS holds right after a complete install, as the reader reports it. */
function installed(apiId = 'abc123'): ObservedInstall {
  const receiverArn = functionArn(at, names.functions.receiver);
  return {
    account: ACCOUNT,
    role: {
      arn: roleArn(at, names.role),
      tags: { [INSTALL_TAG]: 'hooks' },
      // IAM answers with its own key order and one-item lists unwrapped; that is no change.
      trustPolicy: {
        Statement: [{ Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' }, Effect: 'Allow' }],
        Version: '2012-10-17',
      },
      policyDocument: JSON.parse(JSON.stringify(desired.policyDocument)) as unknown,
    },
    functions: { receiver: observedFunction('receiver', apiId), worker: observedFunction('worker', apiId) },
    logGroups: { receiver: { retentionDays: 30 }, worker: { retentionDays: 30 } },
    api: {
      id: apiId,
      rootId: 'root',
      resources: [
        { id: 'root', path: '/' },
        { id: 'r1', path: '/hooks' },
        { id: 'r2', path: '/hooks/dockerhub' },
        {
          id: 'r3',
          path: ROUTE_PATH,
          post: { authorizationType: 'NONE', integrationType: 'AWS_PROXY', integrationUri: integrationUri(REGION, receiverArn) },
        },
      ],
      stage: { name: 'live', rateLimit: 5, burstLimit: 10 },
    },
    topic: {
      arn: TOPIC_ARN,
      tags: { [INSTALL_TAG]: 'hooks' },
      subscriptions: [{ arn: `${TOPIC_ARN}:0b1c`, protocol: 'lambda', endpoint: WORKER_ARN }],
    },
  };
}

describe('planInstall', () => {
  it('creates everything, in dependency order, when nothing exists', () => {
    const actions = planInstall(desired, { functions: {}, logGroups: {} });
    expect(actions.map((action) => action.kind)).toEqual([
      'create-role',
      'put-role-policy',
      'create-log-group',
      'create-log-group',
      'create-function',
      'put-concurrency',
      'create-function',
      'create-rest-api',
      'create-resource',
      'create-resource',
      'create-resource',
      'put-method',
      'put-integration',
      'create-deployment',
      'update-stage-throttling',
      'add-permission',
      'create-topic',
      'add-permission',
      'subscribe',
      'add-permission',
    ]);
    expect(
      actions
        .filter((action) => action.kind === 'create-resource')
        .map((action) => action.kind === 'create-resource' && [action.parentPath, action.pathPart]),
    ).toEqual([
      ['/', 'hooks'],
      ['/hooks', 'dockerhub'],
      ['/hooks/dockerhub', '{token}'],
    ]);
    const creates = actions.flatMap((action) => (action.kind === 'create-function' ? [action.function.name] : []));
    expect(creates).toEqual(['hooks-worker', 'hooks-receiver']);
    // The API's id is not known until it is created: the plan carries a stand-in, filled in later.
    const permission = actions.find((action) => action.kind === 'add-permission');
    expect(permission).toMatchObject({ kind: 'add-permission', statementId: PERMISSION_STATEMENT_ID, principal: 'apigateway.amazonaws.com' });
    expect(JSON.stringify(permission)).toContain(UNKNOWN_API_ID);
    expect(resolveAction(permission!, { apiId: 'xyz' })).toMatchObject({
      sourceArn: 'arn:aws:execute-api:eu-west-1:111122223333:xyz/*/POST/hooks/dockerhub/*',
    });
    // Serialisable as it is: --json prints it.
    expect(JSON.parse(JSON.stringify(actions))).toEqual(actions);
  });

  it('plans nothing when everything exists and matches', () => {
    expect(planInstall(desired, installed())).toEqual([]);
  });

  it('updates only the functions configuration when the settings changed', () => {
    const changed: DesiredInstall = {
      ...desired,
      functions: {
        receiver: { ...spec('receiver'), environment: { ...env, ECS_ROLL_POLICY: 'semver' } },
        worker: { ...spec('worker'), environment: { ...env, ECS_ROLL_POLICY: 'semver' } },
      },
    };
    const actions = planInstall(changed, installed());
    expect(actions.map((action) => action.kind)).toEqual(['update-function-configuration', 'update-function-configuration']);
    expect(actions[0]).toMatchObject({ changed: ['env ECS_ROLL_POLICY'] });
    // Names the variable, never its value (the token's hash lives there).
    expect(JSON.stringify(actions.map((action) => action.kind === 'update-function-configuration' && action.changed))).not.toContain('semver');
  });

  it('uploads code only when its SHA-256 differs', () => {
    const actions = planInstall({ ...desired, codeSha256: 'bmV3IGNvZGU=' }, installed());
    expect(actions).toEqual([
      { kind: 'update-function-code', functionName: 'hooks-worker', codeSha256: 'bmV3IGNvZGU=' },
      { kind: 'update-function-code', functionName: 'hooks-receiver', codeSha256: 'bmV3IGNvZGU=' },
    ]);
  });

  it('replaces a permission whose source is another API, and puts back lost concurrency and throttling', () => {
    const observed = installed();
    const drifted: ObservedInstall = {
      ...observed,
      functions: {
        receiver: { ...observedFunction('receiver', 'old-api') },
        worker: withoutReservedConcurrency(observedFunction('worker', 'abc123')),
      },
      api: { ...observed.api!, stage: { name: 'live' } },
    };
    expect(planInstall(desired, drifted).map((action) => action.kind)).toEqual([
      'put-concurrency',
      'update-stage-throttling',
      'remove-permission',
      'add-permission',
    ]);
  });

  it('redeploys the stage when the route is missing from an existing API', () => {
    const observed = installed();
    const bare: ObservedInstall = {
      ...observed,
      api: { id: 'abc123', rootId: 'root', resources: [{ id: 'root', path: '/' }], stage: observed.api!.stage! },
    };
    expect(planInstall(desired, bare).map((action) => action.kind)).toEqual([
      'create-resource',
      'create-resource',
      'create-resource',
      'put-method',
      'put-integration',
      'create-deployment',
    ]);
  });

  it('carries a stand-in for the account until the role is created', () => {
    const unknown = { ...desired, account: UNKNOWN_ACCOUNT };
    const actions = planInstall(unknown, { functions: {}, logGroups: {} });
    const resolved = actions.map((action) => resolveAction(action, { account: ACCOUNT, apiId: 'abc' }));
    expect(JSON.stringify(resolved)).not.toContain(UNKNOWN_ACCOUNT);
    expect(JSON.stringify(resolved)).not.toContain(UNKNOWN_API_ID);
    expect(resolved.find((action) => action.kind === 'create-function')).toMatchObject({
      function: { roleArn: 'arn:aws:iam::111122223333:role/hooks' },
    });
  });
});

describe('planInstall: the alarm topic', () => {
  const bare: ObservedInstall = { functions: {}, logGroups: {} };

  it('names the topic as scale policy looks for it, in the install account and region', () => {
    expect(names.topic).toBe(alarmTopicName('hooks'));
    expect(topicArn(at, names.topic)).toBe(TOPIC_ARN);
  });

  it('creates the tagged topic, lets SNS invoke the worker from it alone, subscribes the worker, and lets alarms of the account invoke it', () => {
    const actions = planInstall(desired, bare);
    const alarmPart = actions.slice(actions.findIndex((action) => action.kind === 'create-topic'));
    expect(alarmPart).toEqual([
      { kind: 'create-topic', topic: 'hooks-alarms', topicArn: TOPIC_ARN, tags: { [INSTALL_TAG]: 'hooks' } },
      {
        kind: 'add-permission',
        functionName: 'hooks-worker',
        statementId: SNS_PERMISSION_STATEMENT_ID,
        principal: 'sns.amazonaws.com',
        sourceArn: TOPIC_ARN,
      },
      { kind: 'subscribe', topicArn: TOPIC_ARN, protocol: 'lambda', endpoint: WORKER_ARN },
      {
        kind: 'add-permission',
        functionName: 'hooks-worker',
        statementId: ALARM_PERMISSION_STATEMENT_ID,
        principal: 'lambda.alarms.cloudwatch.amazonaws.com',
        sourceArn: ALARMS_ARN,
        sourceAccount: ACCOUNT,
      },
    ]);
    // The worker exists before anything names it.
    expect(actions.findIndex((action) => action.kind === 'create-function' && action.function.name === 'hooks-worker')).toBeLessThan(
      actions.findIndex((action) => action.kind === 'create-topic'),
    );
  });

  it('fills in the account of the topic, the subscription and the alarm permission once it is known', () => {
    const actions = planInstall({ ...desired, account: UNKNOWN_ACCOUNT }, bare).map((action) =>
      resolveAction(action, { account: ACCOUNT, apiId: 'abc' }),
    );
    expect(actions.find((action) => action.kind === 'create-topic')).toMatchObject({ topicArn: TOPIC_ARN });
    expect(actions.find((action) => action.kind === 'subscribe')).toMatchObject({ topicArn: TOPIC_ARN, endpoint: WORKER_ARN });
    expect(actions.filter((action) => action.kind === 'add-permission' && action.functionName === 'hooks-worker')).toMatchObject([
      { sourceArn: TOPIC_ARN },
      { sourceArn: ALARMS_ARN, sourceAccount: ACCOUNT },
    ]);
  });

  it('subscribes the worker to an existing topic once, and leaves the subscriptions of others alone', () => {
    const observed = installed();
    const others: ObservedInstall = {
      ...observed,
      topic: { ...observed.topic!, subscriptions: [{ arn: `${TOPIC_ARN}:1`, protocol: 'email', endpoint: 'ops@example.com' }] },
    };
    expect(planInstall(desired, others)).toEqual([{ kind: 'subscribe', topicArn: TOPIC_ARN, protocol: 'lambda', endpoint: WORKER_ARN }]);
    const both: ObservedInstall = {
      ...observed,
      topic: { ...observed.topic!, subscriptions: [...others.topic!.subscriptions, ...observed.topic!.subscriptions] },
    };
    expect(planInstall(desired, both)).toEqual([]);
  });

  it('replaces worker statements that name another topic or account, and adds missing ones, by their fixed ids', () => {
    const observed = installed();
    const worker = observedFunction('worker', 'abc123');
    const drifted: ObservedInstall = {
      ...observed,
      functions: {
        ...observed.functions,
        worker: {
          ...worker,
          permissions: { [SNS_PERMISSION_STATEMENT_ID]: { principal: 'sns.amazonaws.com', sourceArn: 'arn:aws:sns:eu-west-1:111122223333:old' } },
        },
      },
    };
    expect(planInstall(desired, drifted)).toEqual([
      { kind: 'remove-permission', functionName: 'hooks-worker', statementId: SNS_PERMISSION_STATEMENT_ID },
      {
        kind: 'add-permission',
        functionName: 'hooks-worker',
        statementId: SNS_PERMISSION_STATEMENT_ID,
        principal: 'sns.amazonaws.com',
        sourceArn: TOPIC_ARN,
      },
      {
        kind: 'add-permission',
        functionName: 'hooks-worker',
        statementId: ALARM_PERMISSION_STATEMENT_ID,
        principal: 'lambda.alarms.cloudwatch.amazonaws.com',
        sourceArn: ALARMS_ARN,
        sourceAccount: ACCOUNT,
      },
    ]);
  });

  it('describes the topic, the subscription and both permissions for --dry-run', () => {
    const lines = planInstall(desired, bare).slice(-4).map(describeAction);
    expect(lines).toEqual([
      `create SNS topic hooks-alarms for alarms (${TOPIC_ARN})`,
      `allow sns.amazonaws.com to invoke hooks-worker from ${TOPIC_ARN}`,
      `subscribe ${WORKER_ARN} to SNS topic ${TOPIC_ARN} (protocol lambda)`,
      `allow lambda.alarms.cloudwatch.amazonaws.com to invoke hooks-worker from ${ALARMS_ARN} (account ${ACCOUNT})`,
    ]);
  });
});

describe('webhookUrl', () => {
  it('is the stage URL of the route with the token last', () => {
    expect(webhookUrl('us-east-1', 'abc123', 'live', 'TOKEN')).toBe('https://abc123.execute-api.us-east-1.amazonaws.com/live/hooks/dockerhub/TOKEN');
  });
});
