// Alarm scaling end to end through the sandbox, which runs what `install` creates the way AWS runs it:
// the built CLI installs and puts policies, CloudWatch's state changes (SetAlarmState) run the alarms'
// actions, SNS delivers to the worker function, and the worker's calls go through its execution role
// with IAM enforcement on (actions, and Resource only for SQS queues: test/sandbox/iam_enforcement.py). Everything is
// checked through the AWS API and the worker's log group.
import { ApplicationAutoScalingClient, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  SetAlarmStateCommand,
  TagResourceCommand,
} from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeServicesCommand,
  ListTagsForResourceCommand as EcsListTagsForResourceCommand,
  type ECSClient,
  PutAccountSettingCommand,
} from '@aws-sdk/client-ecs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListTopicsCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { alarmNotification, snsDelivery } from '../alarm-events.js';
import { putCpuAlarm } from '../alarms.js';
import { eventuallyWith } from '../eventually.js';
import { sandboxControl } from '../sandbox/client.js';
import { container, createCluster, createService, ecsClient, REGION, registerTaskDefinition, runCli } from './helpers.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
const config = { endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
const WORKER_LOGS = '/aws/lambda/ecs-roll-worker';
const ALARM = 'web-busy';
let ecs: ECSClient;
let cloudwatch: CloudWatchClient;
let logs: CloudWatchLogsClient;
let sns: SNSClient;

const cli = (...args: string[]) => runCli([...args, '--endpoint-url', endpoint]);
const URL_PATTERN = /http:\/\/127\.0\.0\.1:\d+\/restapis\/[a-z0-9]+\/live\/_user_request_\/hooks\/dockerhub\/[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/;
let webhookUrl = '';

interface Decision {
  decision: string;
  alarm?: string;
  [field: string]: unknown;
}

/** The worker's alarm decisions so far, oldest first. */
async function decisions(): Promise<Decision[]> {
  const answer = await logs.send(new FilterLogEventsCommand({ logGroupName: WORKER_LOGS })).catch(() => ({ events: [] }));
  return (answer.events ?? []).flatMap((event) => {
    try {
      const line = JSON.parse(event.message ?? '') as Decision & { event?: string };
      return line.event === 'alarm' ? [line] : [];
    } catch {
      return [];
    }
  });
}

/** Waits on the worker; a failure shows its decisions so far. */
/**
 * Alarm web-old on the install's topic with a policy for prod/web in its own tags, where an older install kept it
 * (+2 within 1..10, cooldown 60 s), and any `extra` tags; answers its ARN and every tag put on it.
 */
async function alarmWithOlderPolicy(extra: { Key: string; Value: string }[] = []) {
  const arn = await createAlarm('web-old', [await topicArn()]);
  const tags = [
    { Key: 'ecs-roll:service', Value: 'prod/web' },
    { Key: 'ecs-roll:adjust', Value: '+2' },
    { Key: 'ecs-roll:min', Value: '1' },
    { Key: 'ecs-roll:max', Value: '10' },
    { Key: 'ecs-roll:cooldown', Value: '60' },
    ...extra,
  ];
  await cloudwatch.send(new TagResourceCommand({ ResourceARN: arn, Tags: tags }));
  return { arn, tags };
}

const eventually = eventuallyWith({ explain: async () => `decisions: ${JSON.stringify(await decisions())}` });

/** Waits for the worker's decision about `alarm` number `index` (0 the first). */
function decisionAbout(alarm: string, index = 0): Promise<Decision> {
  return eventually(`decision ${index + 1} about ${alarm}`, async () => (await decisions()).filter((line) => line.alarm === alarm)[index]);
}

async function desired(service = 'web'): Promise<number | undefined> {
  return (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: [service] }))).services?.[0]?.desiredCount;
}

async function createAlarm(name: string, actions: string[]): Promise<string> {
  await putCpuAlarm(cloudwatch, name, { actions, onProdWeb: true });
  return (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0]?.AlarmArn ?? '';
}

const setState = (name: string, state: 'ALARM' | 'OK') =>
  cloudwatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: `test: ${state}` }));

async function topicArn(): Promise<string> {
  const topics = (await sns.send(new ListTopicsCommand({}))).Topics ?? [];
  return topics.find((topic) => topic.TopicArn?.endsWith(':ecs-roll-alarms'))?.TopicArn ?? '';
}

/**
 * Delivers `message` to the worker as SNS would from the alarm topic. The topic's policy admits CloudWatch's
 * alarms alone, so a test (like any forger) cannot publish it there: that refusal is checked first, then the
 * message is handed to the worker the way someone allowed to invoke it could, in SNS's event shape.
 */
async function deliverFromTopic(message: string): Promise<void> {
  const topic = await topicArn();
  await expect(sns.send(new PublishCommand({ TopicArn: topic, Message: message }))).rejects.toMatchObject({
    name: expect.stringMatching(/^AuthorizationError/),
  });
  const event = snsDelivery(topic, message, { subject: `ALARM: "${ALARM}"` });
  const lambda = new LambdaClient(config);
  await lambda.send(
    new InvokeCommand({ FunctionName: 'ecs-roll-worker', InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(event)) }),
  );
  lambda.destroy();
}

beforeAll(() => {
  ecs = ecsClient(endpoint);
  cloudwatch = new CloudWatchClient(config);
  logs = new CloudWatchLogsClient(config);
  sns = new SNSClient(config);
});

beforeEach(async () => {
  await sandbox.reset();
  await createCluster(ecs, 'prod');
  await createService(ecs, 'prod', 'web', await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]), { desiredCount: 2 });
  await createService(ecs, 'prod', 'api', await registerTaskDefinition(ecs, 'api', [container('api', 'acme/api:1.0')]), { desiredCount: 2 });
  const installed = await cli('install', '--repo', 'acme/web', '--cluster', 'prod');
  expect(installed.code, installed.stderr).toBe(0);
  webhookUrl = URL_PATTERN.exec(installed.stdout)?.[0] ?? '';
  await createAlarm(ALARM, []);
  const put = await cli('scale', 'policy', 'put', 'prod/web', '--alarm', ALARM, '--adjust', '+1', '--min', '1', '--max', '10', '--cooldown', '1');
  expect(put.code, put.stderr).toBe(0);
});

describe('alarm scaling through the sandbox', () => {
  it("an alarm made by hand with the real one's tags and actions, pointed at another service, changes nothing", async () => {
    const topic = await topicArn();
    // The forger can write alarms: a copy with the same actions and every tag of the real alarm,
    // an older install's policy tags too, naming the service to scale.
    const realTags =
      (
        await cloudwatch.send(
          new ListTagsForResourceCommand({
            ResourceARN: (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [ALARM] }))).MetricAlarms?.[0]?.AlarmArn ?? '',
          }),
        )
      ).Tags ?? [];
    expect(realTags).toContainEqual({ Key: 'ecs-roll:service', Value: 'prod/web' });
    for (const [name, target] of [
      ['api-busy', 'prod/api'],
      ['web-busy-copy', 'prod/web'],
    ] as const) {
      const arn = await createAlarm(name, [topic]);
      const forged = [
        { Key: 'ecs-roll:adjust', Value: '=0' },
        { Key: 'ecs-roll:min', Value: '0' },
        { Key: 'ecs-roll:max', Value: '0' },
      ];
      await cloudwatch.send(new TagResourceCommand({ ResourceARN: arn, Tags: [...realTags, { Key: 'ecs-roll:service', Value: target }, ...forged] }));
      await setState(name, 'ALARM');
      expect(await decisionAbout(name)).toMatchObject({ decision: 'no-policy', reason: expect.stringContaining('hold no policy for this alarm') });
    }
    expect(await desired('api')).toBe(2);
    expect(await desired('web')).toBe(2);

    // The real alarm still works.
    await setState(ALARM, 'ALARM');
    expect(await decisionAbout(ALARM)).toMatchObject({ decision: 'acted', from: 2, to: 3 });
    expect(await desired('web')).toBe(3);
  });

  it('a forged alarm message published to the topic while the alarm is OK changes nothing', async () => {
    const arn = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [ALARM] }))).MetricAlarms?.[0]?.AlarmArn ?? '';
    await setState(ALARM, 'OK');
    await deliverFromTopic(alarmNotification({ name: ALARM, arn, state: 'ALARM', at: new Date() }));
    expect(await decisionAbout(ALARM)).toMatchObject({ decision: 'not-alarm', state: 'OK', reason: expect.stringContaining('stale or forged') });
    expect(await desired('web')).toBe(2);
  });

  it('a stale alarm event, older than the cooldown, with the alarm back to OK, changes nothing', async () => {
    const arn = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [ALARM] }))).MetricAlarms?.[0]?.AlarmArn ?? '';
    const firedAt = new Date();
    await setState(ALARM, 'ALARM');
    expect(await decisionAbout(ALARM)).toMatchObject({ decision: 'acted', from: 2, to: 3 });
    await setState(ALARM, 'OK');
    // Past the 1 s cooldown, the same ALARM notification arrives again (a late retry of the first delivery).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await deliverFromTopic(alarmNotification({ name: ALARM, arn, state: 'ALARM', at: firedAt }));
    const stale = await eventually("the stale event's decision", async () =>
      (await decisions()).find(
        (line) => line.alarm === ALARM && line.decision !== 'acted' && line.shape === 'sns' && line.state === 'OK' && typeof line.reason === 'string',
      ),
    );
    expect(stale).toMatchObject({ decision: 'not-alarm', reason: expect.stringContaining('stale or forged') });
    expect(await desired('web')).toBe(3);
    expect((await decisions()).filter((line) => line.decision === 'acted')).toHaveLength(1);
  });

  it("holds the count within Application Auto Scaling's bounds, with a log line that says so", async () => {
    await new ApplicationAutoScalingClient(config).send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: 'ecs',
        ResourceId: 'service/prod/web',
        ScalableDimension: 'ecs:service:DesiredCount',
        MinCapacity: 1,
        MaxCapacity: 2,
      }),
    );
    await setState(ALARM, 'ALARM');
    expect(await decisionAbout(ALARM)).toMatchObject({
      decision: 'at-bound',
      bound: 'autoscaling-max',
      autoscaling: { resourceId: 'service/prod/web', min: 1, max: 2 },
    });
    expect(await desired('web')).toBe(2);
    const serviceArn = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services?.[0]?.serviceArn ?? '';
    const tags = (await ecs.send(new EcsListTagsForResourceCommand({ resourceArn: serviceArn }))).tags ?? [];
    expect(tags.some((tag) => tag.key === 'ecs-roll:scaled-at')).toBe(false);
  });

  it('an alarm is acted on while a rollout of the same service is still in progress', async () => {
    // The scheduler stands still, so the push's deployment stays IN_PROGRESS until the end of the test.
    await sandbox.config({ paused: true });
    const push = {
      callback_url: 'http://127.0.0.1:9/must-never-be-called',
      push_data: { pushed_at: Math.floor(Date.now() / 1000), pusher: 'ci', tag: '1.1' },
      repository: { repo_name: 'acme/web', namespace: 'acme', name: 'web', status: 'Active' },
    };
    const posted = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(push) });
    expect(posted.status).toBe(202);
    const rolling = await eventually('the rollout in progress on the new revision', async () => {
      const found = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services?.[0];
      const primary = found?.deployments?.find((deployment) => deployment.status === 'PRIMARY');
      return primary !== undefined &&
        primary.taskDefinition !== found?.deployments?.find((deployment) => deployment.status === 'ACTIVE')?.taskDefinition &&
        (found?.deployments?.length ?? 0) > 1
        ? primary
        : undefined;
    });
    expect(rolling.rolloutState).toBe('IN_PROGRESS');

    await setState(ALARM, 'ALARM');
    expect(await decisionAbout(ALARM)).toMatchObject({ decision: 'acted', from: 2, to: 3 });
    const now = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services?.[0];
    expect(now?.desiredCount).toBe(3);
    expect(now?.deployments?.find((deployment) => deployment.status === 'PRIMARY')?.rolloutState).toBe('IN_PROGRESS');
  });

  it("install moves a policy an older install kept in the alarm's tags to the service's, and --dry-run shows the move first", async () => {
    const { arn } = await alarmWithOlderPolicy([{ Key: 'team', Value: 'web' }]);
    // Until then the worker does not act on it.
    await setState('web-old', 'ALARM');
    expect(await decisionAbout('web-old')).toMatchObject({ decision: 'no-policy' });
    await setState('web-old', 'OK');

    const dry = await cli('install', '--repo', 'acme/web', '--cluster', 'prod', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(
      "move the scaling policy of alarm web-old (+2 within 1..10, cooldown 60 s) from the alarm's tags to service prod/web's tags",
    );
    expect((await cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags).toHaveLength(6);

    const run = await cli('install', '--repo', 'acme/web', '--cluster', 'prod', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).policyMoves).toEqual([expect.objectContaining({ alarm: 'web-old', service: 'prod/web', status: 'moved' })]);
    expect((await cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags).toEqual(
      expect.arrayContaining([
        { Key: 'ecs-roll:service', Value: 'prod/web' },
        { Key: 'team', Value: 'web' },
      ]),
    );
    expect((await cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags).toHaveLength(2);
    const listed = JSON.parse((await cli('scale', 'policy', 'list', '--json')).stdout) as {
      policies: { alarm: string; location: { kind: string } }[];
    };
    expect(listed.policies.filter((entry) => entry.alarm === 'web-old').map((entry) => entry.location.kind)).toEqual(['service-tags']);

    await setState('web-old', 'ALARM');
    expect(await decisionAbout('web-old', 1)).toMatchObject({ decision: 'acted', from: 2, to: 4 });
    // Nothing left to move: the next install says nothing about it.
    expect((await cli('install', '--repo', 'acme/web', '--cluster', 'prod')).stdout).not.toContain('scaling policy of alarm');
  });

  it("install leaves an older policy in the alarm's tags when its service has a pre-2021 short ARN, and says why", async () => {
    const { arn, tags } = await alarmWithOlderPolicy();
    // ECS refuses to tag such a service; moto works a service's ARN out from this setting at each read.
    await ecs.send(new PutAccountSettingCommand({ name: 'serviceLongArnFormat', value: 'disabled' }));
    const run = await cli('install', '--repo', 'acme/web', '--cluster', 'prod', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).policyMoves).toEqual([
      expect.objectContaining({ alarm: 'web-old', status: 'not moved', reason: expect.stringMatching(/short ARN.*migrate it/) }),
    ]);
    // Left as they were: every tag put, and no other.
    const left = (await cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags;
    expect(left).toHaveLength(tags.length);
    expect(left).toEqual(expect.arrayContaining(tags));
  });
});
