// Least privilege of what install makes, proven through the sandbox's IAM enforcement (the functions' calls
// run with their execution role's keys: test/sandbox/iam_enforcement.py checks actions, and resources where it
// knows them: queue ARNs, the service, task or task definition of an ECS write) and its
// SNS topic policies (test/sandbox/sns_policy.py):
// - the internet-facing receiver runs as its own role, which may only hand a push to the pushes queue and log;
// - the worker's role sends to the follow queue only and invokes no function (SQS calls are matched by queue ARN);
// - installed for some clusters, it may update services and stop tasks in those clusters alone (and a service of
//   theirs with a pre-2021 short ARN, which the cluster pattern misses);
// - it may run one-off tasks (--run-before) of the families running the repositories alone, and none without it;
// - an older install's receiver, still on the worker's role, moves to its own on the next install;
// - the alarm topic admits CloudWatch alone: a publish from anyone else is refused, an alarm's goes through;
// - the direct alarm-action permission is scoped with SourceArn and SourceAccount.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { CloudWatchClient, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateClusterCommand, ECSClient, PutAccountSettingCommand } from '@aws-sdk/client-ecs';
import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  InvokeCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { GetTopicAttributesCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { zipSync } from 'fflate';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { sandboxControl } from '../sandbox/client.js';
import { container, createService, REGION, registerTaskDefinition, runCli } from './helpers.js';
import { putCpuAlarm } from '../alarms.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
const config = { endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
const ACCOUNT = '123456789012';
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:ecs-roll-alarms`;
const cli = (...args: string[]) => runCli([...args, '--endpoint-url', endpoint]);
let iam: IAMClient;
let lambda: LambdaClient;
let sns: SNSClient;
let logs: CloudWatchLogsClient;

beforeAll(() => {
  iam = new IAMClient(config);
  lambda = new LambdaClient(config);
  sns = new SNSClient(config);
  logs = new CloudWatchLogsClient(config);
});

beforeEach(async () => {
  await sandbox.reset();
});

async function install(): Promise<void> {
  const run = await cli('install', '--repo', 'acme/web');
  expect(run.code, run.stderr).toBe(0);
}

const roleOf = async (name: string) => (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }))).Role;

/** The calls a probe may try, each as the function's own code would make it. */
function probeCalls(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const sdk = (name: string) => JSON.stringify(pathToFileURL(require.resolve(`@aws-sdk/client-${name}`)).href);
  // A send to a queue finds its URL first, as the functions do; the follow message waits 900 s, so no worker takes it.
  const send = (queue: string, extra: string) =>
    `tryCall(${sdk('sqs')}, async (m) => { const sqs = new m.SQSClient({}); const { QueueUrl } = await sqs.send(new m.GetQueueUrlCommand({ QueueName: '${queue}' })); await sqs.send(new m.SendMessageCommand({ QueueUrl, MessageBody: '{"probe":true}', ${extra} })); })`;
  return {
    'ecs:UpdateService': `tryCall(${sdk('ecs')}, (m) => new m.ECSClient({}).send(new m.UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: 0 })))`,
    'ecs:UpdateService in staging': `tryCall(${sdk('ecs')}, (m) => new m.ECSClient({}).send(new m.UpdateServiceCommand({ cluster: 'staging', service: 'web', desiredCount: 0 })))`,
    'ecs:UpdateService of the short-ARN service': `tryCall(${sdk('ecs')}, (m) => new m.ECSClient({}).send(new m.UpdateServiceCommand({ cluster: 'prod', service: 'legacy', desiredCount: 1 })))`,
    'ecs:RunTask of web': `tryCall(${sdk('ecs')}, (m) => new m.ECSClient({}).send(new m.RunTaskCommand({ cluster: 'prod', taskDefinition: 'web' })))`,
    'ecs:RunTask of other': `tryCall(${sdk('ecs')}, (m) => new m.ECSClient({}).send(new m.RunTaskCommand({ cluster: 'prod', taskDefinition: 'other' })))`,
    'ecs:StopTask in prod': `tryCall(${sdk('ecs')}, (m) => new m.ECSClient({}).send(new m.StopTaskCommand({ cluster: 'prod', task: '0123456789abcdef0123456789abcdef' })))`,
    'ecs:StopTask in staging': `tryCall(${sdk('ecs')}, (m) => new m.ECSClient({}).send(new m.StopTaskCommand({ cluster: 'staging', task: '0123456789abcdef0123456789abcdef' })))`,
    'ecs:ListClusters': `tryCall(${sdk('ecs')}, (m) => new m.ECSClient({}).send(new m.ListClustersCommand({})))`,
    'lambda:InvokeFunction': `tryCall(${sdk('lambda')}, (m) => new m.LambdaClient({}).send(new m.InvokeCommand({ FunctionName: 'ecs-roll-worker', InvocationType: 'DryRun' })))`,
    'sqs:GetQueueUrl': `tryCall(${sdk('sqs')}, (m) => new m.SQSClient({}).send(new m.GetQueueUrlCommand({ QueueName: 'ecs-roll-pushes.fifo' })))`,
    'sqs:SendMessage to the pushes queue': send('ecs-roll-pushes.fifo', "MessageGroupId: 'probe', MessageDeduplicationId: 'probe'"),
    'sqs:SendMessage to the follow queue': send('ecs-roll-follow', 'DelaySeconds: 900'),
  };
}

const RECEIVER_PROBES = ['ecs:UpdateService', 'ecs:ListClusters', 'lambda:InvokeFunction', 'sqs:GetQueueUrl'];

/**
 * A function that runs as `role` and reports which of the `calls` its keys may make: what a function's own
 * code could do if an attacker took it over. It loads the SDK from this checkout's node_modules.
 */
async function callsAllowedTo(role: string, calls: readonly string[] = RECEIVER_PROBES): Promise<Record<string, string>> {
  const probes = probeCalls();
  const code = `
    const tryCall = async (load, make) => {
      try { const m = await import(load); await make(m); return 'allowed'; }
      catch (error) { return error.name === 'AccessDeniedException' || error.name === 'AccessDenied' || /not authorized|AccessDenied/.test(String(error.message)) ? 'denied' : 'allowed (' + error.name + ')'; }
    };
    export const handler = async () => ({
      ${calls.map((call) => `${JSON.stringify(call)}: await ${probes[call] ?? 'undefined'},`).join('\n      ')}
    });`;
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'probe',
      Role: role,
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Timeout: 60,
      Code: { ZipFile: zipSync({ 'index.mjs': new TextEncoder().encode(code) }) },
    }),
  );
  try {
    const answer = await lambda.send(new InvokeCommand({ FunctionName: 'probe' }));
    expect(answer.FunctionError, new TextDecoder().decode(answer.Payload)).toBeUndefined();
    return JSON.parse(new TextDecoder().decode(answer.Payload)) as Record<string, string>;
  } finally {
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'probe' }));
  }
}

describe('least privilege of the webhook install', () => {
  it('runs the receiver as its own role, which may hand pushes off and log, and never touch ECS', async () => {
    await install();
    const receiverRole = await iam.send(new GetRoleCommand({ RoleName: 'ecs-roll-receiver' }));
    expect(await roleOf('ecs-roll-receiver')).toBe(receiverRole.Role?.Arn);
    expect(await roleOf('ecs-roll-worker')).toBe(`arn:aws:iam::${ACCOUNT}:role/ecs-roll`);
    const policy = await iam.send(new GetRolePolicyCommand({ RoleName: 'ecs-roll-receiver', PolicyName: 'ecs-roll-receiver-policy' }));
    const document = JSON.parse(decodeURIComponent(policy.PolicyDocument ?? '{}')) as { Statement: { Action: string[] }[] };
    expect(document.Statement.flatMap((statement) => statement.Action).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);

    expect(await callsAllowedTo(receiverRole.Role?.Arn ?? '')).toEqual({
      'ecs:UpdateService': 'denied',
      'ecs:ListClusters': 'denied',
      'lambda:InvokeFunction': 'denied',
      'sqs:GetQueueUrl': 'allowed',
    });
    // The worker's role, for contrast, may update services: the probe tells the two apart.
    expect((await callsAllowedTo(`arn:aws:iam::${ACCOUNT}:role/ecs-roll`))['ecs:UpdateService']).not.toBe('denied');
    // The receiver sends to the pushes queue alone (the sandbox matches an SQS call's queue ARN with Resource).
    expect(await callsAllowedTo(receiverRole.Role?.Arn ?? '', ['sqs:SendMessage to the follow queue'])).toEqual({
      'sqs:SendMessage to the follow queue': 'denied',
    });
  });

  it('runs the worker as a role that sends to the follow queue only and invokes no function', async () => {
    await install();
    const workerRole = `arn:aws:iam::${ACCOUNT}:role/ecs-roll`;
    expect(
      await callsAllowedTo(workerRole, ['lambda:InvokeFunction', 'sqs:SendMessage to the pushes queue', 'sqs:SendMessage to the follow queue']),
    ).toEqual({
      'lambda:InvokeFunction': 'denied',
      'sqs:SendMessage to the pushes queue': 'denied',
      'sqs:SendMessage to the follow queue': 'allowed',
    });
    // Its logs: its own group only. The sandbox drops the lines of a role scoped to another group (webhook-e2e reads
    // the worker's); that it grants the receiver's group nothing is read from the policy.
    const policy = await iam.send(new GetRolePolicyCommand({ RoleName: 'ecs-roll', PolicyName: 'ecs-roll-policy' }));
    const text = decodeURIComponent(policy.PolicyDocument ?? '');
    expect(text).toContain('/aws/lambda/ecs-roll-worker');
    expect(text).not.toContain('/aws/lambda/ecs-roll-receiver');
    expect(text).not.toContain('lambda:InvokeFunction');
  });

  it('lets the worker update services and stop tasks only in the clusters it was installed for', async () => {
    const ecs = new ECSClient(config);
    for (const clusterName of ['prod', 'staging']) await ecs.send(new CreateClusterCommand({ clusterName }));
    // A service created before 2021 keeps the short ARN service/NAME, which service/prod/* does not match. (moto
    // works a service's ARN out from the account setting at each read, so the setting stays off for this test.)
    await ecs.send(new PutAccountSettingCommand({ name: 'serviceLongArnFormat', value: 'disabled' }));
    await createService(ecs, 'prod', 'legacy', await registerTaskDefinition(ecs, 'legacy', [container('web', 'acme/web:1.0')]));
    ecs.destroy();
    const run = await cli('install', '--repo', 'acme/web', '--cluster', 'prod');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('1 service(s) running these repositories still have a pre-2021 short ARN (legacy)');
    const probes = [
      'ecs:UpdateService',
      'ecs:UpdateService of the short-ARN service',
      'ecs:UpdateService in staging',
      'ecs:StopTask in prod',
      'ecs:StopTask in staging',
    ];
    const answers = await callsAllowedTo(`arn:aws:iam::${ACCOUNT}:role/ecs-roll`, probes);
    // In prod the call gets past IAM (and fails on the missing service or task); in staging IAM refuses it.
    expect(answers['ecs:UpdateService']).not.toBe('denied');
    expect(answers['ecs:UpdateService of the short-ARN service']).toBe('allowed');
    expect(answers['ecs:StopTask in prod']).not.toBe('denied');
    expect(answers['ecs:UpdateService in staging']).toBe('denied');
    expect(answers['ecs:StopTask in staging']).toBe('denied');
  });

  it('lets the worker run one-off tasks only with --run-before, and only of the families running the repositories', async () => {
    const ecs = new ECSClient(config);
    await ecs.send(new CreateClusterCommand({ clusterName: 'prod' }));
    await createService(ecs, 'prod', 'web', await registerTaskDefinition(ecs, 'web', [container('app', 'acme/web:1.0')]));
    await registerTaskDefinition(ecs, 'other', [container('app', 'acme/other:1.0')]);
    ecs.destroy();
    const worker = `arn:aws:iam::${ACCOUNT}:role/ecs-roll`;
    expect((await cli('install', '--repo', 'acme/web')).code).toBe(0);
    expect(await callsAllowedTo(worker, ['ecs:RunTask of web'])).toEqual({ 'ecs:RunTask of web': 'denied' });

    const run = await cli('install', '--repo', 'acme/web', '--run-before', 'service=web,container=app,command=migrate');
    expect(run.code, run.stderr).toBe(0);
    // The sandbox matches RunTask's task definition revision against the statement's family:* resources.
    expect(await callsAllowedTo(worker, ['ecs:RunTask of web', 'ecs:RunTask of other'])).toEqual({
      'ecs:RunTask of web': 'allowed',
      'ecs:RunTask of other': 'denied',
    });
  });

  it('moves an older install’s receiver from the worker’s role to its own, and uninstall removes both roles', async () => {
    await install();
    // What an install made before the receiver had its own role: the receiver runs as the worker's role, whose
    // policy grants what the receiver calls too.
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'ecs-roll-receiver', Role: `arn:aws:iam::${ACCOUNT}:role/ecs-roll` }));
    const current = await iam.send(new GetRolePolicyCommand({ RoleName: 'ecs-roll', PolicyName: 'ecs-roll-policy' }));
    const legacy = JSON.parse(decodeURIComponent(current.PolicyDocument ?? '{}')) as { Statement: unknown[] };
    legacy.Statement.push(
      {
        Sid: 'InvokeWorker',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:ecs-roll-worker`,
      },
      {
        Sid: 'QueueSend',
        Effect: 'Allow',
        Action: ['sqs:SendMessage', 'sqs:GetQueueUrl'],
        Resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:ecs-roll-pushes.fifo`,
      },
    );
    await iam.send(new PutRolePolicyCommand({ RoleName: 'ecs-roll', PolicyName: 'ecs-roll-policy', PolicyDocument: JSON.stringify(legacy) }));
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'ecs-roll-receiver', PolicyName: 'ecs-roll-receiver-policy' }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'ecs-roll-receiver' }));

    const dry = await cli('install', '--repo', 'acme/web', '--dry-run');
    expect(dry.stdout).toContain('create IAM role ecs-roll-receiver');
    expect(dry.stdout).toContain('update the configuration of Lambda function ecs-roll-receiver (role)');
    // The receiver moves before the worker's policy loses what the receiver calls (test/unit/install-worker-role.test.ts).
    const move = dry.stdout.indexOf('update the configuration of Lambda function ecs-roll-receiver (role)');
    expect(move).toBeLessThan(dry.stdout.indexOf('put inline policy ecs-roll-policy on IAM role ecs-roll'));
    const run = await cli('install', '--repo', 'acme/web');
    expect(run.code, run.stderr).toBe(0);
    expect(await roleOf('ecs-roll-receiver')).toBe(`arn:aws:iam::${ACCOUNT}:role/ecs-roll-receiver`);
    const trimmed = await iam.send(new GetRolePolicyCommand({ RoleName: 'ecs-roll', PolicyName: 'ecs-roll-policy' }));
    const after = JSON.parse(decodeURIComponent(trimmed.PolicyDocument ?? '{}')) as { Statement: { Action: string | string[]; Resource: unknown }[] };
    expect(JSON.stringify(after)).not.toContain('lambda:InvokeFunction');
    expect(
      after.Statement.filter((statement) => [statement.Action].flat().includes('sqs:SendMessage')).map((statement) => statement.Resource),
    ).toEqual([`arn:aws:sqs:${REGION}:${ACCOUNT}:ecs-roll-follow`]);
    expect(await callsAllowedTo(`arn:aws:iam::${ACCOUNT}:role/ecs-roll`, ['lambda:InvokeFunction', 'sqs:SendMessage to the pushes queue'])).toEqual({
      'lambda:InvokeFunction': 'denied',
      'sqs:SendMessage to the pushes queue': 'denied',
    });

    const removal = await cli('uninstall', '--json');
    expect(removal.code, removal.stderr).toBe(0);
    const report = JSON.parse(removal.stdout) as { resources: { kind: string; name: string; status: string }[] };
    expect(report.resources.filter((resource) => resource.kind === 'iam-role').map((resource) => `${resource.name}: ${resource.status}`)).toEqual([
      'ecs-roll: deleted',
      'ecs-roll-receiver: deleted',
    ]);
    await expect(iam.send(new GetRoleCommand({ RoleName: 'ecs-roll-receiver' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  });

  it('admits only CloudWatch alarms of this account to the topic, and scopes the direct alarm action by SourceArn and SourceAccount', async () => {
    await install();
    const attributes = await sns.send(new GetTopicAttributesCommand({ TopicArn: TOPIC }));
    const topicPolicy = JSON.parse(attributes.Attributes?.Policy ?? '{}') as {
      Statement: { Effect: string; Principal: unknown; Condition: unknown }[];
    };
    expect(topicPolicy.Statement[0]).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:*` }, StringEquals: { 'aws:SourceAccount': ACCOUNT } },
    });
    // Anyone else, this account's own users included, is refused.
    await expect(sns.send(new PublishCommand({ TopicArn: TOPIC, Message: '{"AlarmName":"x","NewStateValue":"ALARM"}' }))).rejects.toMatchObject({
      name: expect.stringMatching(/^AuthorizationError/),
    });
    // An alarm's own notification goes through to the worker.
    const cloudwatch = new CloudWatchClient(config);
    await putCpuAlarm(cloudwatch, 'busy', { actions: [TOPIC] });
    await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: 'busy', StateValue: 'ALARM', StateReason: 'test' }));
    const deadline = Date.now() + 60_000;
    let seen = false;
    while (!seen && Date.now() < deadline) {
      const events = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/ecs-roll-worker' })).catch(() => ({ events: [] }));
      seen = (events.events ?? []).some((event) => (event.message ?? '').includes('"busy"'));
      if (!seen) await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(seen, 'the worker logged the alarm delivered through the topic').toBe(true);

    const policy = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: 'ecs-roll-worker' }))).Policy ?? '{}') as {
      Statement: { Sid: string; Condition: unknown }[];
    };
    expect(policy.Statement.find((statement) => statement.Sid === 'ecs-roll-cloudwatch-alarm-invoke')?.Condition).toEqual({
      ArnLike: { 'AWS:SourceArn': `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:*` },
      StringEquals: { 'AWS:SourceAccount': ACCOUNT },
    });
  });
});
