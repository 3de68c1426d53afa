// Webhook mode on its queues, end to end through the sandbox: the built CLI installs, Docker Hub
// payloads go over real HTTP to the printed URL, the receiver hands pushes to the FIFO queue, the
// worker's SQS mappings start and follow rollouts, and every outcome is read back through the AWS API,
// the worker's log and `ecs-roll webhook status --json`.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ListTopicsCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ListTaskDefinitionsCommand, type ECSClient } from '@aws-sdk/client-ecs';
import {
  CreateEventSourceMappingCommand,
  GetFunctionConcurrencyCommand,
  InvokeCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { sandboxControl } from '../sandbox/client.js';
import { container, createCluster, createService, ecsClient, REGION, registerTaskDefinition, runCli } from './helpers.js';
import { snsDelivery } from '../alarm-events.js';
import { putCpuAlarm } from '../alarms.js';
import { eventuallyWith } from '../eventually.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
const config = { endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
const WORKER_LOGS = '/aws/lambda/ecs-roll-worker';
const URL_PATTERN = /http:\/\/127\.0\.0\.1:\d+\/restapis\/[a-z0-9]+\/live\/_user_request_\/hooks\/dockerhub\/[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/;
let ecs: ECSClient;
let logs: CloudWatchLogsClient;
let lambda: LambdaClient;

const cli = (...args: string[]) => runCli([...args, '--endpoint-url', endpoint]);

function push(tag: string, pushedAt: number) {
  return {
    push_data: { pushed_at: pushedAt, pusher: 'ci', tag },
    repository: { repo_name: 'acme/web', namespace: 'acme', name: 'web', repo_url: 'https://hub.docker.com/r/acme/web' },
  };
}

async function post(url: string, body: unknown): Promise<number> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await response.text();
  return response.status;
}

async function install(image = 'acme/web:1.0', serviceOptions: Parameters<typeof createService>[4] = {}): Promise<string> {
  await createCluster(ecs, 'prod');
  await createService(ecs, 'prod', 'web', await registerTaskDefinition(ecs, 'web', [container('web', image)]), {
    desiredCount: 2,
    ...serviceOptions,
  });
  const run = await cli('install', '--repo', 'acme/web', '--cluster', 'prod');
  expect(run.code, run.stderr).toBe(0);
  const url = URL_PATTERN.exec(run.stdout)?.[0];
  expect(url, run.stdout).toBeDefined();
  // One-second looks, as the demo's worker does, so the test does not wait ten seconds per look.
  const current = await lambda.send(
    new UpdateFunctionConfigurationCommand({
      FunctionName: 'ecs-roll-worker',
      Environment: { Variables: await workerEnv({ ECS_ROLL_POLL_INTERVAL: '1' }) },
    }),
  );
  expect(current.Environment?.Variables?.ECS_ROLL_POLL_INTERVAL).toBe('1');
  return url as string;
}

async function workerEnv(changes: Record<string, string>): Promise<Record<string, string>> {
  const { GetFunctionConfigurationCommand } = await import('@aws-sdk/client-lambda');
  const now = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'ecs-roll-worker' }));
  return { ...(now.Environment?.Variables ?? {}), ...changes };
}

async function service() {
  const answer = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));
  const found = answer.services?.[0];
  const primary = found?.deployments?.find((deployment) => deployment.status === 'PRIMARY');
  const definition = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: found?.taskDefinition, include: ['TAGS'] }));
  return {
    image: definition.taskDefinition?.containerDefinitions?.[0]?.image,
    rollout: primary?.rolloutState,
    deploymentId: primary?.id,
    pushedAt: definition.tags?.find((tag) => tag.key === 'ecs-roll:pushed-at')?.value,
    desired: found?.desiredCount,
  };
}

async function workerLines(): Promise<Record<string, unknown>[]> {
  const answer = await logs.send(new FilterLogEventsCommand({ logGroupName: WORKER_LOGS }));
  return (answer.events ?? []).flatMap((event) => {
    try {
      return [JSON.parse(event.message ?? '') as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** Waits on the worker; a failure shows its log. */
const eventually = eventuallyWith({
  ms: 120_000,
  explain: async () => `worker log:\n${(await workerLines()).map((line) => JSON.stringify(line)).join('\n')}`,
});

const finishedLines = async () => (await workerLines()).filter((line) => line.event === 'job-finished');

beforeAll(() => {
  ecs = ecsClient(endpoint);
  logs = new CloudWatchLogsClient(config);
  lambda = new LambdaClient(config);
});

beforeEach(async () => {
  await sandbox.reset();
});

describe('webhook mode on queues', () => {
  it('install maps both queues to the worker with batch size 1 and partial batch responses, and reserves no concurrency', async () => {
    await install();
    const mappings = (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'ecs-roll-worker' }))).EventSourceMappings ?? [];
    expect(mappings.map((mapping) => mapping.EventSourceArn?.split(':')[5]).sort()).toEqual(['ecs-roll-follow', 'ecs-roll-pushes.fifo']);
    for (const mapping of mappings) {
      expect(mapping.BatchSize).toBe(1);
      expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    }
    expect((await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'ecs-roll-worker' }))).ReservedConcurrentExecutions).toBeUndefined();
    // Lambda refuses a mapping from a queue whose visibility timeout is shorter than the function's Timeout;
    // install's queues have six times the worker's.
    const sqs = new SQSClient(config);
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: (await sqs.send(new GetQueueUrlCommand({ QueueName: 'ecs-roll-pushes.fifo' }))).QueueUrl,
        AttributeNames: ['VisibilityTimeout', 'RedrivePolicy', 'FifoQueue'],
      }),
    );
    expect(attributes.Attributes).toMatchObject({ VisibilityTimeout: '5400', FifoQueue: 'true' });
    expect(JSON.parse(attributes.Attributes?.RedrivePolicy ?? '{}')).toMatchObject({ maxReceiveCount: 5 });
    const short = await sqs.send(new CreateQueueCommand({ QueueName: 'short', Attributes: { VisibilityTimeout: '30' } }));
    const shortArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: short.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    await expect(
      lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'ecs-roll-worker', EventSourceArn: shortArn })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
    });
  });

  it("follows a deployment longer than the worker's Timeout across invocations to COMPLETED, with no rollback", async () => {
    const url = await install();
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'ecs-roll-worker', Timeout: 4 }));
    await sandbox.config({ paused: true }); // the deployment stays IN_PROGRESS while paused

    expect(await post(url, push('1.1', Math.floor(Date.now() / 1000)))).toBe(202);
    await eventually('three looks while the deployment is in progress', async () =>
      (await workerLines()).filter((line) => line.event === 'follow-waiting').length >= 3 ? true : undefined,
    );
    expect(await finishedLines()).toEqual([]);
    await sandbox.config({ paused: false });

    const finished = await eventually('job-finished', async () => (await finishedLines())[0]);
    expect(finished).toMatchObject({ ok: true, services: [{ cluster: 'prod', service: 'web', outcome: 'completed' }] });
    expect(finished.looks as number).toBeGreaterThanOrEqual(4);
    const lines = await workerLines();
    expect(lines.filter((line) => line.event === 'rollback-started' || line.phase === 'rollback')).toEqual([]);
    expect(await service()).toMatchObject({ image: 'acme/web:1.1', rollout: 'COMPLETED', desired: 2 });
  });

  it('duplicate and out-of-order pushes end as one clean delivery in push order', async () => {
    const url = await install();
    const t = Math.floor(Date.now() / 1000);
    expect(await post(url, push('1.2', t + 20))).toBe(202);
    expect(await post(url, push('1.2', t + 20))).toBe(202); // a duplicate delivery: SQS drops it
    expect(await post(url, push('1.1', t + 10))).toBe(202); // older, and late
    await eventually('two jobs handled', async () => {
      const lines = await workerLines();
      const done = lines.filter((line) => line.event === 'job-finished').length;
      return done >= 2 ? true : undefined;
    });
    const lines = await workerLines();
    expect(lines.filter((line) => line.event === 'job-started' && line.job === 'acme/web:1.2')).toHaveLength(1);
    const late = lines.find((line) => line.event === 'plan' && line.job === 'acme/web:1.1') as { services: { action: string; reason: string }[] };
    expect(late.services[0]).toMatchObject({ action: 'skip' });
    expect(late.services[0]?.reason).toMatch(/older|not newer/);
    expect(await service()).toMatchObject({ image: 'acme/web:1.2', pushedAt: String(t + 20) });
    const revisions = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'web' }));
    expect(revisions.taskDefinitionArns).toHaveLength(2); // the original and 1.2: nothing for the stale push
  });

  it('latest pushed again with a newer pushed_at deploys again; the same payload twice deploys once', async () => {
    const url = await install('acme/web:latest');
    const t = Math.floor(Date.now() / 1000);
    expect(await post(url, push('latest', t))).toBe(202);
    await eventually('the first redeployment finished', async () => ((await finishedLines()).length >= 1 ? true : undefined));
    const first = await service();
    expect(first.pushedAt).toBe(String(t));

    expect(await post(url, push('latest', t))).toBe(202); // the same payload: dropped by SQS, or planned as nothing
    expect(await post(url, push('latest', t + 60))).toBe(202);
    await eventually('the second redeployment finished', async () =>
      (await finishedLines()).some((line) => line.pushedAt === t + 60) ? true : undefined,
    );
    const second = await service();
    expect(second.pushedAt).toBe(String(t + 60));
    expect(second.deploymentId).not.toBe(first.deploymentId);
    const forced = (await workerLines()).filter((line) => line.event === 'service-updated' && line.forced === true);
    expect(forced).toHaveLength(2);
    expect(second.image).toBe('acme/web:latest');
  });

  it('a broken image is rolled back with its reason and a retry of the same push does not roll it out again', { timeout: 300_000 }, async () => {
    // ECS's circuit breaker fails the deployment and puts the service back, as on AWS.
    const url = await install('acme/web:1.0', {
      launchType: 'FARGATE',
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
    });
    const t = Math.floor(Date.now() / 1000);
    expect(await post(url, push('fail-exit1-1', t))).toBe(202);
    const finished = await eventually('the rolled-back job', async () => (await finishedLines())[0], { ms: 240_000 });
    expect(finished).toMatchObject({ ok: false, services: [{ service: 'web', outcome: 'rolled-back' }] });
    const failed = (await workerLines()).find((line) => line.event === 'rollout-failed') as { services: { cause?: string }[] };
    expect(failed.services[0]?.cause).toBe('container-exit');
    expect(await service()).toMatchObject({ image: 'acme/web:1.0' });

    // The same push again, later than SQS's 5-minute deduplication: sent straight to the queue with another id.
    const sqs = new SQSClient(config);
    const queue = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'ecs-roll-pushes.fifo' }))).QueueUrl;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue,
        MessageGroupId: 'docker.io/acme/web',
        MessageDeduplicationId: 'a-later-retry',
        MessageBody: JSON.stringify({
          version: 1,
          kind: 'dockerhub-push',
          image: 'acme/web:fail-exit1-1',
          repository: 'docker.io/acme/web',
          tag: 'fail-exit1-1',
          pushedAt: t,
        }),
      }),
    );
    const again = await eventually("the retry's answer", async () => (await finishedLines())[1]);
    expect(again).toMatchObject({ ok: false, outcome: 'ignored' });
    expect(again.reason).toMatch(/rolled back/);
    expect((await workerLines()).filter((line) => line.event === 'service-updated' && String(line.to).includes('web:2'))).toHaveLength(1);
    expect(await service()).toMatchObject({ image: 'acme/web:1.0' });
  });

  it('a forged ALARM message published to the topic while the alarm is not in ALARM changes nothing', async () => {
    await install();
    const cloudwatch = new CloudWatchClient(config);
    await putCpuAlarm(cloudwatch, 'web-busy');
    const put = await cli('scale', 'policy', 'put', 'prod/web', '--alarm', 'web-busy', '--adjust', '+1', '--min', '1', '--max', '10');
    expect(put.code, put.stderr).toBe(0);
    const sns = new SNSClient(config);
    const topic = (await sns.send(new ListTopicsCommand({}))).Topics?.find((entry) => entry.TopicArn?.endsWith(':ecs-roll-alarms'))?.TopicArn;
    // What CloudWatch would publish on ALARM. The topic's policy admits CloudWatch alone, so a publish from
    // anyone else is refused; the worker must still refuse the message delivered another way (by someone
    // who may invoke it), as SNS would deliver it.
    const forged = JSON.stringify({
      AlarmName: 'web-busy',
      NewStateValue: 'ALARM',
      OldStateValue: 'OK',
      NewStateReason: 'forged',
      StateChangeTime: new Date().toISOString(),
      AWSAccountId: '123456789012',
    });
    await expect(sns.send(new PublishCommand({ TopicArn: topic, Message: forged }))).rejects.toMatchObject({
      name: expect.stringMatching(/^AuthorizationError/),
    });
    const snsEvent = snsDelivery(topic, forged, { messageId: 'forged' });
    await lambda.send(
      new InvokeCommand({ FunctionName: 'ecs-roll-worker', InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(snsEvent)) }),
    );
    const decision = await eventually('the alarm decision', async () => (await workerLines()).find((line) => line.event === 'alarm'));
    expect(decision).toMatchObject({ decision: 'not-alarm' });
    expect(decision.state).not.toBe('ALARM');
    expect(String(decision.reason)).toMatch(/stale or forged/);
    expect(await service()).toMatchObject({ desired: 2 });
  });

  it('a poisoned message ends in the dead-letter queue, shown by webhook status', async () => {
    await install();
    const sqs = new SQSClient(config);
    const queue = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'ecs-roll-pushes.fifo' }))).QueueUrl;
    await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageGroupId: 'x', MessageDeduplicationId: 'poison', MessageBody: 'not a job' }));
    const status = await eventually('the dead letter', async () => {
      const run = await cli('webhook', 'status', '--json');
      expect(run.code, run.stderr).toBe(0);
      const parsed = JSON.parse(run.stdout) as { deadLetters: { queue: string; body?: string }[] };
      return parsed.deadLetters.length > 0 ? parsed : undefined;
    });
    expect(status.deadLetters).toEqual([expect.objectContaining({ queue: 'ecs-roll-pushes-dead.fifo', body: 'not a job' })]);
    expect((await workerLines()).filter((line) => line.event === 'message-failed').length).toBeGreaterThanOrEqual(5);
    const human = await cli('webhook', 'status');
    expect(human.stdout).toContain('dead letters: 1');
  });
});
