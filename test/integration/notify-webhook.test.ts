// `install --notify` through the sandbox, which runs what install creates the way AWS runs it: the
// installed worker sends each outcome of a push (started, completed, ignored by the policy) to a
// loopback URL and to an SNS topic (read through an SQS queue subscribed to it), and the alarm path
// tells a scale it made. The URL is a secret:
// it is in no output, not in the functions' configuration, only in an SSM SecureString parameter
// the worker's role may read. A re-install keeps the targets; --no-notify removes them.
import { CloudWatchClient, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { sandboxControl } from '../sandbox/client.js';
import { container, createCluster, createService, ecsClient, REGION, registerTaskDefinition, runCli } from './helpers.js';
import { putCpuAlarm } from '../alarms.js';
import { eventuallyWith } from '../eventually.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
const config = { endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
const SECRET_PATH = '/services/T0SECRET/B0SECRET/webhooksecretpath';
const PARAMETER = '/ecs-roll/ecs-roll/notify-urls';
let ecs: ECSClient;
let server: Server | undefined;

const cli = (...args: string[]) => runCli([...args, '--endpoint-url', endpoint]);
const URL_PATTERN = /(http:\/\/127\.0\.0\.1:\d+\/restapis\/[a-z0-9]+\/live\/_user_request_\/hooks\/dockerhub\/[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/;

function dockerHubPush(tag: string) {
  return {
    callback_url: 'http://127.0.0.1:9/must-never-be-called',
    push_data: { pushed_at: Math.floor(Date.now() / 1000), pusher: 'ci', tag },
    repository: {
      repo_name: 'acme/web',
      namespace: 'acme',
      name: 'web',
      is_private: true,
      status: 'Active',
      repo_url: 'https://hub.docker.com/r/acme/web',
    },
  };
}

async function receiver(): Promise<{ url: string; documents: Record<string, unknown>[] }> {
  const documents: Record<string, unknown>[] = [];
  server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      if (request.url === SECRET_PATH) documents.push(JSON.parse(body) as Record<string, unknown>);
      response.writeHead(request.url === SECRET_PATH ? 204 : 404).end();
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${SECRET_PATH}`, documents };
}

async function image(): Promise<{ image?: string | undefined; rollout?: string | undefined }> {
  const found = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services?.[0];
  const primary = found?.deployments?.find((deployment) => deployment.status === 'PRIMARY');
  const definition = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: primary?.taskDefinition ?? found?.taskDefinition }));
  return { image: definition.taskDefinition?.containerDefinitions?.[0]?.image, rollout: primary?.rolloutState };
}

async function workerLog(): Promise<string> {
  const answer = await new CloudWatchLogsClient(config).send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/ecs-roll-worker' }));
  return (answer.events ?? []).map((event) => event.message ?? '').join('\n');
}

/** Waits on the worker; a failure shows its log. */
const eventually = eventuallyWith({ ms: 90_000, explain: async () => `worker log:\n${await workerLog()}` });

function expectNoSecret(...texts: string[]): void {
  for (const text of texts) expect(text).not.toContain('webhooksecretpath');
}

beforeAll(() => {
  ecs = ecsClient(endpoint);
});

beforeEach(async () => {
  await sandbox.reset();
  await createCluster(ecs, 'prod');
  await createService(ecs, 'prod', 'web', await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0.0')]), { desiredCount: 1 });
});

afterEach(async () => {
  const open = server;
  server = undefined;
  if (open === undefined) return;
  open.closeAllConnections();
  await new Promise((resolve) => open.close(resolve));
});

describe('install --notify', () => {
  it('the installed worker notifies a URL and an SNS topic of each push outcome; the URL is shown nowhere; re-install keeps, --no-notify removes', async () => {
    const hook = await receiver();
    const sns = new SNSClient(config);
    const sqs = new SQSClient(config);
    const topicArn = (await sns.send(new CreateTopicCommand({ Name: 'deploys' }))).TopicArn ?? '';
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'deploys-feed' }))).QueueUrl ?? '';
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn ?? '';
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { RawMessageDelivery: 'true' } }));

    const dry = await cli(
      'install',
      '--repo',
      'acme/web',
      '--cluster',
      'prod',
      '--policy',
      'semver',
      '--notify',
      hook.url,
      '--notify',
      topicArn,
      '--dry-run',
    );
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`Outcomes would be sent to: http://${new URL(hook.url).host}/[redacted], ${topicArn}`);
    expectNoSecret(dry.stdout, dry.stderr);

    const run = await cli('install', '--repo', 'acme/web', '--cluster', 'prod', '--policy', 'semver', '--notify', hook.url, '--notify', topicArn);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`put SSM SecureString parameter ${PARAMETER} (1 notification URL)`);
    expect(run.stdout).toMatch(/~ notify: \(new\) → http:\/\/127\.0\.0\.1:\d+\/\[redacted\],arn:aws:sns:us-east-1:\d{12}:deploys/);
    expectNoSecret(run.stdout, run.stderr);
    const webhookUrl = URL_PATTERN.exec(run.stdout)?.[1] ?? '';
    expect(webhookUrl).not.toBe('');

    // Where the targets are: the topic in the worker's environment, the URL in the SecureString parameter alone.
    const lambda = new LambdaClient(config);
    for (const name of ['ecs-roll-worker', 'ecs-roll-receiver']) {
      const environment = (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }))).Environment?.Variables ?? {};
      expectNoSecret(JSON.stringify(environment));
      if (name === 'ecs-roll-worker') expect(environment).toMatchObject({ ECS_ROLL_NOTIFY_TOPICS: topicArn, ECS_ROLL_NOTIFY_PARAMETER: PARAMETER });
    }
    const parameter = (await new SSMClient(config).send(new GetParameterCommand({ Name: PARAMETER, WithDecryption: true }))).Parameter;
    expect(parameter?.Type).toBe('SecureString');
    expect(JSON.parse(parameter?.Value ?? '[]')).toEqual([hook.url]);
    // The role may publish to exactly the given topic and read exactly this parameter.
    const iam = new IAMClient(config);
    const policy = JSON.parse(
      decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: 'ecs-roll', PolicyName: 'ecs-roll-policy' }))).PolicyDocument ?? ''),
    ) as {
      Statement: { Sid: string; Action: unknown; Resource: unknown }[];
    };
    expect(policy.Statement.filter((statement) => statement.Sid === 'PublishNotifications' || statement.Sid === 'ReadNotificationUrls')).toEqual([
      expect.objectContaining({ Sid: 'PublishNotifications', Action: 'sns:Publish', Resource: [topicArn] }),
      expect.objectContaining({
        Sid: 'ReadNotificationUrls',
        Action: 'ssm:GetParameter',
        Resource: expect.stringMatching(/^arn:aws:ssm:us-east-1:\d{12}:parameter\/ecs-roll\/ecs-roll\/notify-urls$/),
      }),
    ]);

    // A push the policy rolls out: started, then completed, to both targets.
    const push = dockerHubPush('1.1.0');
    expect((await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(push) })).status).toBe(
      202,
    );
    await eventually('web on acme/web:1.1.0, COMPLETED', async () => {
      const now = await image();
      return now.image === 'acme/web:1.1.0' && now.rollout === 'COMPLETED' ? true : undefined;
    });
    await eventually('the completed document', async () => (hook.documents.some((document) => document.outcome === 'completed') ? true : undefined));
    // A push the semver policy ignores: the receiver answers it, and says so to the same targets.
    expect(
      (await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(dockerHubPush('nightly')) }))
        .status,
    ).toBe(200);
    await eventually('the ignored document', async () => (hook.documents.some((document) => document.outcome === 'ignored') ? true : undefined));

    expect(hook.documents.map((document) => [document.outcome, document.image])).toEqual([
      ['started', 'acme/web:1.1.0'],
      ['completed', 'acme/web:1.1.0'],
      ['ignored', 'acme/web:nightly'],
    ]);
    for (const document of hook.documents)
      expect(document).toMatchObject({ kind: 'ecs-roll-notification', version: 1, operation: 'rollout', source: 'webhook' });
    expect(hook.documents[1]).toMatchObject({
      pushedAt: push.push_data.pushed_at,
      services: [{ cluster: 'prod', service: 'web', outcome: 'completed' }],
    });
    expect(String(hook.documents[2]?.reason)).toMatch(/semver/);

    // The topic got the same documents (raw delivery: the message body is the document).
    const fromTopic: Record<string, unknown>[] = [];
    await eventually('three documents through the topic', async () => {
      const answer = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      for (const message of answer.Messages ?? []) fromTopic.push(JSON.parse(message.Body ?? '{}') as Record<string, unknown>);
      return fromTopic.length >= 3 ? true : undefined;
    });
    expect(fromTopic.map((document) => document.outcome).sort()).toEqual(['completed', 'ignored', 'started']);
    expectNoSecret(await workerLog());

    // Re-install without --notify keeps both targets, and says nothing changed about them.
    const again = await cli('install', '--repo', 'acme/web', '--json');
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout) as { settings: { notify: string[] }; settingChanges: { setting: string }[] };
    expect([...report.settings.notify].sort()).toEqual([topicArn, `http://${new URL(hook.url).host}/[redacted]`]);
    expect(report.settingChanges.map((change) => change.setting)).not.toContain('notify');
    expectNoSecret(again.stdout, again.stderr);

    // --no-notify takes them away: the parameter, the environment entries and the policy statements.
    const off = await cli('install', '--repo', 'acme/web', '--no-notify');
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toContain(`delete SSM parameter ${PARAMETER}`);
    expect(off.stdout).toMatch(/~ notify: arn:\S+,http:\/\/127\.0\.0\.1:\d+\/\[redacted\] → \(none\)/);
    await expect(new SSMClient(config).send(new GetParameterCommand({ Name: PARAMETER }))).rejects.toThrow(/ParameterNotFound|not found/i);
    const environment = (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'ecs-roll-worker' }))).Environment?.Variables ?? {};
    expect(Object.keys(environment).filter((key) => key.startsWith('ECS_ROLL_NOTIFY'))).toEqual([]);
    const after = JSON.parse(
      decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: 'ecs-roll', PolicyName: 'ecs-roll-policy' }))).PolicyDocument ?? ''),
    ) as { Statement: { Sid: string }[] };
    expect(after.Statement.map((statement) => statement.Sid)).not.toContain('PublishNotifications');
    expect(after.Statement.map((statement) => statement.Sid)).not.toContain('ReadNotificationUrls');

    // uninstall takes the parameter with the install.
    expect((await cli('install', '--repo', 'acme/web', '--notify', hook.url)).code).toBe(0);
    const dryUninstall = await cli('uninstall', '--dry-run', '--json');
    expect(JSON.parse(dryUninstall.stdout).resources).toContainEqual({ kind: 'ssm-parameter', name: PARAMETER, status: 'would delete' });
    const uninstall = await cli('uninstall', '--json');
    expect(uninstall.code, uninstall.stderr).toBe(0);
    expect(JSON.parse(uninstall.stdout).resources).toContainEqual({ kind: 'ssm-parameter', name: PARAMETER, status: 'deleted' });
    await expect(new SSMClient(config).send(new GetParameterCommand({ Name: PARAMETER }))).rejects.toThrow(/ParameterNotFound|not found/i);
    expectNoSecret(dryUninstall.stdout, uninstall.stdout);
  });

  it('the alarm path tells a scale it made', async () => {
    const hook = await receiver();
    const run = await cli('install', '--repo', 'acme/web', '--cluster', 'prod', '--notify', hook.url);
    expect(run.code, run.stderr).toBe(0);
    const cloudwatch = new CloudWatchClient(config);
    await putCpuAlarm(cloudwatch, 'web-busy', { onProdWeb: true });
    const put = await cli('scale', 'policy', 'put', 'prod/web', '--alarm', 'web-busy', '--adjust', '+1', '--min', '1', '--max', '10');
    expect(put.code, put.stderr).toBe(0);

    await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: 'web-busy', StateValue: 'ALARM', StateReason: 'test: ALARM' }));
    const scaled = await eventually('the scale document', async () => hook.documents.find((document) => document.operation === 'scale'));
    // Back to OK, so the worker's re-checks stop scaling.
    await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: 'web-busy', StateValue: 'OK', StateReason: 'test: OK' }));
    expect(scaled).toMatchObject({
      kind: 'ecs-roll-notification',
      version: 1,
      operation: 'scale',
      outcome: 'completed',
      source: 'alarm',
      alarm: 'web-busy',
      services: [{ cluster: 'prod', service: 'web', desiredCount: { from: 1, to: 2 } }],
      text: ':white_check_mark: ecs-roll: scaled prod/web from 1 to 2 tasks (alarm web-busy)',
    });
    expect((await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services?.[0]?.desiredCount).toBeGreaterThanOrEqual(
      2,
    );
  });

  it('refuses a plain-http URL to another host before any AWS call (exit 2)', async () => {
    const run = await cli('install', '--repo', 'acme/web', '--notify', 'http://hooks.example.com/services/webhooksecretpath');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--notify must use https');
    expectNoSecret(run.stdout, run.stderr);
  });
});
