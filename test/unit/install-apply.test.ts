// The applier's handlers against a stubbed SDK `send` (test/unit/sdk-stub.ts): which calls each action
// makes, with what, and what it learns. The integration tests run the same code against the sandbox.
import { describe, expect, it } from 'vitest';
import { InstallApplier } from '../../src/aws/install-apply/applier.js';
import type { ApplyContext, InstallProgress } from '../../src/aws/install-apply/context.js';
import type { InstallClients } from '../../src/aws/install-clients.js';
import { UNKNOWN_ACCOUNT, type FunctionSpec, type InstallAction, type ObservedApi } from '../../src/core/install-plan.js';
import { awsError, stubClients, type Respond } from './sdk-stub.js';

const ACCOUNT = '111122223333';
const TAGS = { 'ecs-roll:install': 'hooks' };

function progress(): InstallProgress & { lines: string[]; warnings: string[]; waits: string[] } {
  const lines: string[] = [];
  const warnings: string[] = [];
  const waits: string[] = [];
  return {
    lines,
    warnings,
    waits,
    done: (line) => lines.push(line),
    warn: (message) => warnings.push(message),
    waiting: (text) => {
      waits.push(text);
      return { update: (next) => waits.push(next), stop: () => {} };
    },
  };
}

function setup(respond?: Respond, options: { api?: ObservedApi; signal?: AbortSignal } = {}) {
  const stub = stubClients(respond);
  const report = progress();
  const sleeps: number[] = [];
  let now = 0;
  const context: ApplyContext = {
    clients: stub.clients as InstallClients,
    install: 'hooks',
    zip: new Uint8Array([1, 2, 3]),
    clock: {
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    },
    signal: options.signal ?? new AbortController().signal,
    progress: report,
    warnings: [],
  };
  return { ...stub, report, sleeps, context, applier: new InstallApplier(context, options.api) };
}

const worker: FunctionSpec = {
  name: 'hooks-worker',
  handler: 'handler.work',
  runtime: 'nodejs22.x',
  timeout: 900,
  memorySize: 512,
  architecture: 'arm64',
  roleArn: `arn:aws:iam::${ACCOUNT}:role/hooks`,
  environment: { A: '1' },
};

describe('the IAM handler', () => {
  it('creates the role with its trust policy as JSON and learns the account from its ARN', async () => {
    const { applier, sent } = setup(() => ({ Role: { Arn: `arn:aws:iam::${ACCOUNT}:role/hooks` } }));
    const learned = await applier.apply({ kind: 'create-role', role: 'hooks', trustPolicy: { Version: '2012-10-17' }, tags: TAGS });
    expect(learned).toEqual({ account: ACCOUNT });
    expect(sent).toEqual([
      {
        client: 'iam',
        command: 'CreateRole',
        input: expect.objectContaining({
          RoleName: 'hooks',
          AssumeRolePolicyDocument: '{"Version":"2012-10-17"}',
          Tags: [{ Key: 'ecs-roll:install', Value: 'hooks' }],
        }),
      },
    ]);
  });

  it('refuses a CreateRole answer without an ARN', async () => {
    const { applier } = setup(() => ({}));
    await expect(applier.apply({ kind: 'create-role', role: 'hooks', trustPolicy: {}, tags: TAGS })).rejects.toThrow(/without a role ARN/);
  });

  it('puts the inline policy and the trust policy as JSON', async () => {
    const { applier, sent } = setup();
    const document = { Version: '2012-10-17', Statement: [] } as const;
    await applier.apply({ kind: 'put-role-policy', role: 'hooks', policyName: 'hooks-policy', document });
    await applier.apply({ kind: 'update-trust-policy', role: 'hooks', trustPolicy: { a: 1 } });
    expect(sent.map((entry) => [entry.command, entry.input])).toEqual([
      ['PutRolePolicy', { RoleName: 'hooks', PolicyName: 'hooks-policy', PolicyDocument: JSON.stringify(document) }],
      ['UpdateAssumeRolePolicy', { RoleName: 'hooks', PolicyDocument: '{"a":1}' }],
    ]);
  });
});

describe('the Logs handler', () => {
  it('creates a group with its tags, then sets its retention; put-retention only sets it', async () => {
    const { applier, sent } = setup();
    await applier.apply({ kind: 'create-log-group', logGroup: '/aws/lambda/hooks-worker', retentionDays: 30, tags: TAGS });
    await applier.apply({ kind: 'put-retention', logGroup: '/aws/lambda/hooks-receiver', retentionDays: 30 });
    expect(sent.map((entry) => [entry.client, entry.command, entry.input['logGroupName']])).toEqual([
      ['logs', 'CreateLogGroup', '/aws/lambda/hooks-worker'],
      ['logs', 'PutRetentionPolicy', '/aws/lambda/hooks-worker'],
      ['logs', 'PutRetentionPolicy', '/aws/lambda/hooks-receiver'],
    ]);
  });
});

describe('the SNS handler', () => {
  const topicArn = `arn:aws:sns:eu-west-1:${ACCOUNT}:hooks-alarms`;

  it('refuses a topic whose ARN is not the one the plan named', async () => {
    const { applier } = setup(() => ({ TopicArn: `arn:aws:sns:eu-west-1:999999999999:hooks-alarms` }));
    await expect(applier.apply({ kind: 'create-topic', topic: 'hooks-alarms', topicArn, tags: TAGS })).rejects.toThrow(/not the expected/);
  });

  it('subscribes the worker, asking for the subscription ARN', async () => {
    const { applier, sent } = setup();
    await applier.apply({ kind: 'subscribe', topicArn, protocol: 'lambda', endpoint: 'arn:worker' });
    expect(sent[0]).toEqual({
      client: 'sns',
      command: 'Subscribe',
      input: { TopicArn: topicArn, Protocol: 'lambda', Endpoint: 'arn:worker', ReturnSubscriptionArn: true },
    });
  });
});

describe('the API Gateway handler', () => {
  it('creates the API, then addresses resources by the ids it learned', async () => {
    const { applier, sent } = setup(({ command, input }) => {
      if (command === 'CreateRestApi') return { id: 'api1', rootResourceId: 'root' };
      if (command === 'CreateResource') return { id: `id-${String(input['pathPart'])}` };
      return {};
    });
    expect(await applier.apply({ kind: 'create-rest-api', api: 'hooks', tags: TAGS })).toEqual({ apiId: 'api1' });
    await applier.apply({ kind: 'create-resource', parentPath: '/', pathPart: 'hooks', path: '/hooks' });
    await applier.apply({ kind: 'create-resource', parentPath: '/hooks', pathPart: 'dockerhub', path: '/hooks/dockerhub' });
    await applier.apply({ kind: 'put-method', path: '/hooks/dockerhub', httpMethod: 'POST', authorizationType: 'NONE' });
    expect(sent.slice(1).map((entry) => [entry.command, entry.input['restApiId'], entry.input['parentId'] ?? entry.input['resourceId']])).toEqual([
      ['CreateResource', 'api1', 'root'],
      ['CreateResource', 'api1', 'id-hooks'],
      ['PutMethod', 'api1', 'id-dockerhub'],
    ]);
  });

  it('knows an existing API and its resources; an unknown resource is an internal error', async () => {
    const api: ObservedApi = { id: 'old', rootId: 'r', resources: [{ id: 'h', path: '/hooks' }] };
    const { applier, sent } = setup(() => ({}), { api });
    await applier.apply({ kind: 'put-integration', path: '/hooks', httpMethod: 'POST', type: 'AWS_PROXY', uri: 'arn:uri' });
    expect(sent[0]?.input).toEqual(expect.objectContaining({ restApiId: 'old', resourceId: 'h', integrationHttpMethod: 'POST', uri: 'arn:uri' }));
    await expect(applier.apply({ kind: 'put-method', path: '/nope', httpMethod: 'POST', authorizationType: 'NONE' })).rejects.toThrow(
      /not known yet/,
    );
  });

  it('throttles the stage with patch operations', async () => {
    const { applier, sent } = setup(() => ({}), { api: { id: 'a', rootId: 'r', resources: [] } });
    await applier.apply({ kind: 'update-stage-throttling', stage: 'live', rateLimit: 5, burstLimit: 10 });
    expect(sent[0]?.input['patchOperations']).toEqual([
      { op: 'replace', path: '/*/*/throttling/rateLimit', value: '5' },
      { op: 'replace', path: '/*/*/throttling/burstLimit', value: '10' },
    ]);
  });
});

describe('the Lambda handler', () => {
  it('creates a function, waiting while IAM propagates the new role, then until it is Active', async () => {
    let creates = 0;
    let polls = 0;
    const { applier, sent, sleeps, report } = setup(({ command }) => {
      if (command === 'CreateFunction') {
        creates += 1;
        if (creates < 3) throw awsError('InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.');
        return {};
      }
      polls += 1;
      return { State: polls === 1 ? 'Pending' : 'Active' };
    });
    await applier.apply({ kind: 'create-function', function: worker, codeSha256: 'x', tags: TAGS });
    expect(sent.map((entry) => entry.command)).toEqual([
      'CreateFunction',
      'CreateFunction',
      'CreateFunction',
      'GetFunctionConfiguration',
      'GetFunctionConfiguration',
    ]);
    expect(sent[0]?.input).toEqual(
      expect.objectContaining({
        FunctionName: 'hooks-worker',
        Role: worker.roleArn,
        Architectures: ['arm64'],
        Environment: { Variables: { A: '1' } },
      }),
    );
    expect(sleeps).toEqual([1000, 2000, 1000]);
    expect(report.waits[0]).toMatch(/assume role hooks/);
  });

  it('gives up at once on any other refusal', async () => {
    const { applier, sent } = setup(() => {
      throw awsError('InvalidParameterValueException', 'Unzipped size must be smaller than 262144000 bytes');
    });
    await expect(applier.apply({ kind: 'create-function', function: worker, codeSha256: 'x', tags: TAGS })).rejects.toThrow(/Unzipped size/);
    expect(sent).toHaveLength(1);
  });

  it('reports a failed update with its reason', async () => {
    const { applier } = setup(() => ({ State: 'Active', LastUpdateStatus: 'Failed', LastUpdateStatusReason: 'broken zip' }));
    await expect(applier.apply({ kind: 'update-function-code', functionName: 'hooks-worker', codeSha256: 'x' })).rejects.toThrow(/broken zip/);
  });

  it('warns, and goes on, when concurrency cannot be reserved', async () => {
    const { applier, report, context } = setup(() => {
      throw awsError('InvalidParameterValueException', 'unreserved below 10');
    });
    await applier.apply({ kind: 'put-concurrency', functionName: 'hooks-worker', reservedConcurrency: 1 });
    expect(report.warnings).toEqual([expect.stringMatching(/could not reserve concurrency 1 for hooks-worker/)]);
    expect(context.warnings).toEqual(report.warnings);
  });

  it('adds a permission with SourceArn or SourceAccount; removing one already gone is fine', async () => {
    const { applier, sent } = setup(({ command }) => {
      if (command === 'RemovePermission') throw awsError('ResourceNotFoundException');
      return {};
    });
    await applier.apply({ kind: 'remove-permission', functionName: 'f', statementId: 's' });
    await applier.apply({ kind: 'add-permission', functionName: 'f', statementId: 's', principal: 'sns.amazonaws.com', sourceArn: 'arn:t' });
    await applier.apply({ kind: 'add-permission', functionName: 'f', statementId: 'a', principal: 'p', sourceAccount: ACCOUNT });
    expect(sent.slice(1).map((entry) => entry.input)).toEqual([
      { FunctionName: 'f', StatementId: 's', Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com', SourceArn: 'arn:t' },
      { FunctionName: 'f', StatementId: 'a', Action: 'lambda:InvokeFunction', Principal: 'p', SourceAccount: ACCOUNT },
    ]);
  });
});

describe('InstallApplier.applyAll', () => {
  const plan: InstallAction[] = [
    { kind: 'create-role', role: 'hooks', trustPolicy: {}, tags: TAGS },
    { kind: 'add-permission', functionName: 'f', statementId: 'a', principal: 'p', sourceAccount: UNKNOWN_ACCOUNT },
  ];

  it('fills in the account once CreateRole made it known, and reports each action', async () => {
    const { applier, sent, report } = setup(({ command }) =>
      command === 'CreateRole' ? { Role: { Arn: `arn:aws:iam::${ACCOUNT}:role/hooks` } } : {},
    );
    const known: { account?: string; apiId?: string } = {};
    await applier.applyAll(plan, known);
    expect(known.account).toBe(ACCOUNT);
    expect(sent[1]?.input['SourceAccount']).toBe(ACCOUNT);
    expect(report.lines).toEqual(['create IAM role hooks (trusted by lambda.amazonaws.com)', `allow p to invoke f from account ${ACCOUNT}`]);
  });

  it('stops between two actions once interrupted', async () => {
    const controller = new AbortController();
    const { applier, sent } = setup(
      ({ command }) => {
        controller.abort();
        return command === 'CreateRole' ? { Role: { Arn: `arn:aws:iam::${ACCOUNT}:role/hooks` } } : {};
      },
      { signal: controller.signal },
    );
    await expect(applier.applyAll(plan, {})).rejects.toThrow(/interrupted/);
    expect(sent.map((entry) => entry.command)).toEqual(['CreateRole']);
  });
});
