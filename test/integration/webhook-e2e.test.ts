// Webhook mode end to end against the sandbox, which runs what `install` creates the way AWS
// runs it: the built CLI installs, a Docker Hub payload goes over real HTTP to the URL install
// printed, API Gateway invokes the receiver, the receiver hands off to the worker through Lambda's
// pushes queue, and the worker rolls the services; everything is checked through the AWS API.
// (webhook-queues.test.ts covers the queues: following past the Timeout, duplicates, dead letters.)
// The functions' AWS calls use their execution role's credentials with IAM enforcement on; the
// sandbox's IAM (moto's) matches actions, and Resource for SQS calls (the queue's ARN), ECS writes (the
// service's, task's or task definition's ARN) and Lambda's log lines (the group's), so a missing action or
// a call outside those scopes fails as on AWS; another too-narrow Resource would not.
import { CloudWatchClient, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient, ListRolesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetPolicyCommand, LambdaClient, ListEventSourceMappingsCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { APIGatewayClient, GetRestApisCommand } from '@aws-sdk/client-api-gateway';
import { ListSubscriptionsCommand, ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { sandboxControl } from '../sandbox/client.js';
import { container, createCluster, createService, ecsClient, REGION, registerTaskDefinition, runCli } from './helpers.js';
import { putCpuAlarm } from '../alarms.js';
import { eventuallyWith } from '../eventually.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
const config = { endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
const WORKER_LOGS = '/aws/lambda/ecs-roll-worker';
let ecs: ECSClient;
let logs: CloudWatchLogsClient;
let lambda: LambdaClient;
let iam: IAMClient;

const cli = (...args: string[]) => runCli([...args, '--endpoint-url', endpoint]);
const URL_PATTERN = /(http:\/\/127\.0\.0\.1:\d+\/restapis\/[a-z0-9]+\/live\/_user_request_\/hooks\/dockerhub\/)([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/;

/** As Docker Hub sends it: https://docs.docker.com/docker-hub/repos/manage/webhooks/ */
function dockerHubPush(tag: string, repo = 'acme/web') {
  const [namespace, name] = repo.split('/');
  return {
    callback_url: 'http://127.0.0.1:9/must-never-be-called',
    push_data: { pushed_at: Math.floor(Date.now() / 1000), pusher: 'ci', tag },
    repository: { repo_name: repo, namespace, name, is_private: true, status: 'Active', repo_url: `https://hub.docker.com/r/${repo}` },
  };
}

async function seed(): Promise<void> {
  await createCluster(ecs, 'prod');
  await createService(ecs, 'prod', 'web', await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]), { desiredCount: 2 });
  await createService(ecs, 'prod', 'other', await registerTaskDefinition(ecs, 'other', [container('app', 'acme/other:1.0')]));
}

/** Installs and answers the printed webhook URL (base and token). */
async function install(): Promise<{ base: string; token: string; url: string }> {
  const run = await cli('install', '--repo', 'acme/web', '--cluster', 'prod');
  expect(run.code, run.stderr).toBe(0);
  const match = URL_PATTERN.exec(run.stdout);
  expect(match, run.stdout).not.toBeNull();
  const [url, base, token] = match as unknown as [string, string, string];
  return { base, token, url };
}

async function post(url: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, text: await response.text() };
}

async function service(name = 'web') {
  const answer = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: [name] }));
  const found = answer.services?.[0];
  const primary = found?.deployments?.find((deployment) => deployment.status === 'PRIMARY');
  const definition = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: primary?.taskDefinition ?? found?.taskDefinition }));
  return { desired: found?.desiredCount, image: definition.taskDefinition?.containerDefinitions?.[0]?.image, rollout: primary?.rolloutState };
}

async function workerLog(): Promise<string[]> {
  const answer = await logs.send(new FilterLogEventsCommand({ logGroupName: WORKER_LOGS }));
  return (answer.events ?? []).map((event) => event.message ?? '');
}

/** Waits on the worker (E2E_WAIT_MS at the most); a failure shows its log and the sandbox's async invocations. */
const eventually = eventuallyWith({
  ms: Number(process.env.E2E_WAIT_MS ?? 90_000),
  explain: async () => {
    const invocations = await (await fetch(`${endpoint}/_sandbox/invocations`)).text();
    return `worker log:\n${(await workerLog()).join('\n')}\nasync invocations: ${invocations}`;
  },
});

beforeAll(() => {
  ecs = ecsClient(endpoint);
  logs = new CloudWatchLogsClient(config);
  lambda = new LambdaClient(config);
  iam = new IAMClient(config);
});

beforeEach(async () => {
  await sandbox.reset();
  await seed();
});

describe('webhook mode through the sandbox', () => {
  it('rolls every service of the repository from a Docker Hub POST to the printed URL; a wrong token and GET change nothing', async () => {
    const { base, url } = await install();

    const wrong = await post(`${base}${'x'.repeat(43)}`, dockerHubPush('1.1'));
    expect(wrong.status).toBe(404);
    // The route has POST only, so API Gateway itself answers GET, before any function runs.
    const get = await fetch(url);
    expect(get.status).toBe(403);
    expect(await get.json()).toEqual({ message: 'Missing Authentication Token' });
    expect(await service()).toMatchObject({ image: 'acme/web:1.0' });

    const accepted = await post(url, dockerHubPush('1.1'));
    expect(accepted.status, accepted.text).toBe(202);
    const done = await eventually('web on acme/web:1.1, COMPLETED', async () => {
      const now = await service();
      return now.image === 'acme/web:1.1' && now.rollout === 'COMPLETED' ? now : undefined;
    });
    expect(done.desired).toBe(2);
    expect(await service('other')).toMatchObject({ image: 'acme/other:1.0' });
    const lines = await eventually("the worker's job-finished line", async () => {
      const found = await workerLog();
      return found.some((line) => line.includes('"job-finished"')) ? found : undefined;
    });
    expect(lines.some((line) => line.startsWith('START RequestId:'))).toBe(true);
    const finished = JSON.parse(lines.find((line) => line.includes('"job-finished"')) ?? '{}') as { ok?: boolean; services?: unknown[] };
    expect(finished).toMatchObject({ ok: true, services: [{ cluster: 'prod', service: 'web' }] });
  });

  it('an alarm in ALARM reaches the worker through the topic and scales once; the cooldown holds on a second firing', async () => {
    await install();
    const cloudwatch = new CloudWatchClient(config);
    await putCpuAlarm(cloudwatch, 'web-busy', { onProdWeb: true });
    const put = await cli('scale', 'policy', 'put', 'prod/web', '--alarm', 'web-busy', '--adjust', '+1', '--min', '1', '--max', '10');
    expect(put.code, put.stderr).toBe(0);

    const fire = async (state: 'ALARM' | 'OK') =>
      cloudwatch.send(new SetAlarmStateCommand({ AlarmName: 'web-busy', StateValue: state, StateReason: `test: ${state}` }));
    await fire('ALARM');
    await eventually('desired count 3', async () => ((await service()).desired === 3 ? true : undefined));
    await eventually('the acted decision in the worker log', async () =>
      (await workerLog()).some((line) => line.includes('"decision":"acted"')) ? true : undefined,
    );

    await fire('OK');
    await fire('ALARM');
    const lines = await eventually('the in-cooldown decision', async () => {
      const found = await workerLog();
      return found.some((line) => line.includes('"decision":"in-cooldown"')) ? found : undefined;
    });
    expect((await service()).desired).toBe(3);
    expect(lines.filter((line) => line.includes('"decision":"acted"'))).toHaveLength(1);
  });

  it('a role policy without ecs:UpdateService fails inside the worker with AccessDenied; install heals it', async () => {
    const { url } = await install();
    const policy = await iam.send(new GetRolePolicyCommand({ RoleName: 'ecs-roll', PolicyName: 'ecs-roll-policy' }));
    const document = JSON.parse(decodeURIComponent(policy.PolicyDocument ?? '')) as { Statement: { Sid: string }[] };
    document.Statement = document.Statement.filter((statement) => statement.Sid !== 'EcsUpdateService');
    await iam.send(new PutRolePolicyCommand({ RoleName: 'ecs-roll', PolicyName: 'ecs-roll-policy', PolicyDocument: JSON.stringify(document) }));

    expect((await post(url, dockerHubPush('1.1'))).status).toBe(202);
    // AccessDeniedException's message, as the worker logs the failed service's reason.
    const finished = await eventually('the failed job in the worker log', async () => {
      const line = (await workerLog()).find((candidate) => candidate.includes('"job-finished"'));
      return line === undefined ? undefined : (JSON.parse(line) as { ok: boolean; services: { outcome: string; reason?: string }[] });
    });
    expect(finished.ok).toBe(false);
    expect(finished.services[0]?.outcome).toBe('failed');
    expect(finished.services[0]?.reason).toContain('is not authorized to perform: ecs:UpdateService');
    expect((await service()).image).toBe('acme/web:1.0');

    const again = await cli('install', '--repo', 'acme/web', '--cluster', 'prod');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('ecs-roll-policy');
    expect((await post(url, dockerHubPush('1.2'))).status).toBe(202);
    await eventually('web on acme/web:1.2, COMPLETED', async () => {
      const now = await service();
      return now.image === 'acme/web:1.2' && now.rollout === 'COMPLETED' ? true : undefined;
    });
  });

  it('uninstall leaves nothing install created', async () => {
    const { url } = await install();
    expect((await post(url, dockerHubPush('1.1'))).status).toBe(202);
    await eventually('the worker finished', async () => ((await workerLog()).some((line) => line.includes('"job-finished"')) ? true : undefined));

    const run = await cli('uninstall');
    expect(run.code, run.stderr).toBe(0);
    const functions = await lambda.send(new ListFunctionsCommand({}));
    expect(functions.Functions ?? []).toEqual([]);
    await expect(lambda.send(new GetPolicyCommand({ FunctionName: 'ecs-roll-receiver' }))).rejects.toThrow();
    const apis = await new APIGatewayClient(config).send(new GetRestApisCommand({}));
    expect(apis.items ?? []).toEqual([]);
    await expect(iam.send(new GetRoleCommand({ RoleName: 'ecs-roll' }))).rejects.toThrow();
    expect((await iam.send(new ListRolesCommand({}))).Roles ?? []).toEqual([]);
    const sns = new SNSClient(config);
    expect((await sns.send(new ListTopicsCommand({}))).Topics ?? []).toEqual([]);
    expect((await sns.send(new ListSubscriptionsCommand({}))).Subscriptions ?? []).toEqual([]);
    expect((await new SQSClient(config).send(new ListQueuesCommand({}))).QueueUrls ?? []).toEqual([]);
    expect((await lambda.send(new ListEventSourceMappingsCommand({}))).EventSourceMappings ?? []).toEqual([]);
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/ecs-roll-' }));
    expect(groups.logGroups ?? []).toEqual([]);
    // The URL no longer reaches anything.
    expect((await post(url, dockerHubPush('1.2'))).status).toBe(403);
  });
});
