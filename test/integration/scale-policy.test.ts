import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  DeleteServiceCommand,
  DescribeServicesCommand,
  ListTagsForResourceCommand as EcsListTagsForResourceCommand,
  UpdateServiceCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { sandboxControl } from '../sandbox/client.js';
import { container, createCluster, createService, ecsClient, REGION, registerTaskDefinition, runCli } from './helpers.js';
import { callPackagedHandler, unpackPackagedHandler } from './packaged-handler.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const ALARM = 'web-cpu-high';
let ecs: ECSClient;
let cloudwatch: CloudWatchClient;
let sns: SNSClient;
let topicArn: string;
let pagerArn: string;

const policy = (...args: string[]) => runCli(['scale', 'policy', ...args, '--endpoint-url', endpoint]);

async function createAlarm(name = ALARM, alarmActions: string[] = [pagerArn]): Promise<void> {
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      AlarmDescription: 'web is busy',
      MetricName: 'CPUUtilization',
      Namespace: 'AWS/ECS',
      Statistic: 'Average',
      Dimensions: [
        { Name: 'ClusterName', Value: 'prod' },
        { Name: 'ServiceName', Value: 'web' },
      ],
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Threshold: 75,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      Unit: 'Percent',
      AlarmActions: alarmActions,
      OKActions: [pagerArn],
      Tags: [{ Key: 'team', Value: 'web' }],
    }),
  );
}

async function alarm(name = ALARM) {
  const answer = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
  return answer.MetricAlarms?.[0];
}

async function alarmTags(name = ALARM): Promise<Record<string, string>> {
  const arn = (await alarm(name))?.AlarmArn ?? '';
  const answer = await cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
  return Object.fromEntries((answer.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

async function desired(service = 'web'): Promise<number | undefined> {
  const answer = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: [service] }));
  return answer.services?.[0]?.desiredCount;
}

beforeAll(() => {
  ecs = ecsClient(endpoint);
  cloudwatch = new CloudWatchClient({ endpoint, region: REGION, credentials });
  sns = new SNSClient({ endpoint, region: REGION, credentials });
});

beforeEach(async () => {
  await sandbox.reset();
  await sandbox.config({ tick: 0.1 });
  await createCluster(ecs, 'prod');
  await createService(ecs, 'prod', 'web', await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]), { desiredCount: 4 });
  // install's topic, made here because install is not under test; and another action the alarm already has.
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'ecs-roll-alarms' }))).TopicArn ?? '';
  pagerArn = (await sns.send(new CreateTopicCommand({ Name: 'pager' }))).TopicArn ?? '';
  await createAlarm();
});

describe('ecs-roll scale policy', () => {
  it('put adds the topic beside the alarm\'s other action, keeps the alarm as it was, and records the policy in its tags', async () => {
    const before = await alarm();
    const run = await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('prod/web +2 within 1..10, cooldown 300 s');
    // One other action: said as such, never "its 1 other action(s)".
    expect(run.stdout).toContain('as well as its other action.');

    const after = await alarm();
    expect(after?.AlarmActions).toEqual([pagerArn, topicArn]);
    // Everything else the alarm had is still there.
    const comparable = (a: typeof after) => {
      const { AlarmActions: _a, AlarmConfigurationUpdatedTimestamp: _b, StateUpdatedTimestamp: _c, ...rest } = a ?? {};
      return rest;
    };
    expect(comparable(after)).toEqual(comparable(before));
    expect(after).toMatchObject({ OKActions: [pagerArn], Threshold: 75, DatapointsToAlarm: 2, AlarmDescription: 'web is busy', Unit: 'Percent' });
    expect(await alarmTags()).toEqual({
      team: 'web',
      'ecs-roll:service': 'prod/web',
      'ecs-roll:adjust': '+2',
      'ecs-roll:min': '1',
      'ecs-roll:max': '10',
      'ecs-roll:cooldown': '300',
    });
  });

  it('put again replaces the policy and does not add the topic twice', async () => {
    expect((await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10')).code).toBe(0);
    const again = await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+50%', '--min', '2', '--max', '20', '--cooldown', '60', '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      kind: 'scale-policy',
      action: 'put',
      policy: { service: 'prod/web', adjust: '+50%', min: 2, max: 20, cooldown: 60 },
      replaced: { service: 'prod/web', adjust: '+2', min: 1, max: 10, cooldown: 300 },
      topicAdded: false,
    });
    expect((await alarm())?.AlarmActions).toEqual([pagerArn, topicArn]);
    expect(await alarmTags()).toMatchObject({ 'ecs-roll:adjust': '+50pct', 'ecs-roll:min': '2', 'ecs-roll:max': '20', 'ecs-roll:cooldown': '60' });
  });

  it('list shows each policy with its alarm state, as one JSON document with --json', async () => {
    await createAlarm('unrelated');
    expect((await policy('list')).stdout).toContain('No alarm carries');
    expect((await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '=6', '--min', '2', '--max', '8')).code).toBe(0);
    await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: ALARM, StateValue: 'ALARM', StateReason: 'test' }));

    const human = await policy('list');
    expect(human.code).toBe(0);
    // A table: a header, and each column starting where its header does.
    const [header = '', row = ''] = human.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ALARM +STATE +SERVICE +ADJUST +MIN\.\.MAX +COOLDOWN$/);
    expect(row.split(/ {2,}/)).toEqual([ALARM, 'ALARM', 'prod/web', '=6', '2..8', '300 s']);
    for (const column of ['STATE', 'SERVICE', 'ADJUST', 'MIN..MAX', 'COOLDOWN']) {
      expect(row[header.indexOf(column) - 1]).toBe(' ');
      expect(row[header.indexOf(column)]).not.toBe(' ');
    }
    expect(human.stdout).not.toContain('unrelated');

    const listed = await policy('list', '--json');
    expect(listed.code).toBe(0);
    expect(listed.stderr).toBe('');
    expect(JSON.parse(listed.stdout)).toEqual({
      kind: 'scale-policies',
      version: 1,
      alarmsExamined: 2,
      policies: [
        {
          alarm: ALARM,
          alarmArn: expect.stringContaining(`:alarm:${ALARM}`),
          state: 'ALARM',
          actionsEnabled: true,
          alarmActions: [pagerArn, topicArn],
          policy: { service: 'prod/web', adjust: '=6', min: 2, max: 8, cooldown: 300 },
          invalid: null,
        },
      ],
    });
  });

  it('remove takes the topic out, keeps the other actions and tags, and says so when there was no policy', async () => {
    expect((await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10')).code).toBe(0);
    const removed = await policy('remove', 'prod/web', '--alarm', ALARM);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('Removed the scaling policy for prod/web');
    expect(removed.stdout).toContain('its other action stays.');
    expect(removed.stdout).not.toMatch(/\(s\)/);
    expect((await alarm())?.AlarmActions).toEqual([pagerArn]);
    expect((await alarm())?.OKActions).toEqual([pagerArn]);
    expect(await alarmTags()).toEqual({ team: 'web' });

    const again = await policy('remove', 'prod/web', '--alarm', ALARM, '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ removed: false, topicRemoved: false, note: expect.stringContaining('no ecs-roll scaling policy') });
    expect((await alarm())?.AlarmActions).toEqual([pagerArn]);
  });

  it('remove refuses an alarm whose policy is for another service', async () => {
    expect((await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10')).code).toBe(0);
    const run = await policy('remove', 'prod/api', '--alarm', ALARM);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('carries the policy for prod/web');
    expect((await alarm())?.AlarmActions).toEqual([pagerArn, topicArn]);
  });

  it.each([
    [['put', 'web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10'], /<cluster>\/<service>/],
    [['put', 'a/b/c', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10'], /<cluster>\/<service>/],
    [['put', 'prod/web', '--alarm', ALARM, '--adjust', '2', '--min', '1', '--max', '10'], /must be \+n/],
    [['put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '5', '--max', '3'], /above --max/],
    [['put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1.5', '--max', '3'], /whole number/],
    [['put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '3', '--cooldown', '-5'], /--cooldown must be a whole number/],
    [['put', 'prod/web', '--alarm', ALARM, '--adjust', '=12', '--min', '1', '--max', '10'], /outside/],
    [['put', 'prod/web', '--alarm', '', '--adjust', '+2', '--min', '1', '--max', '10'], /--alarm/],
    [['put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10', '--name', 'bad name'], /--name/],
    [['put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1'], /--max/],
    [['remove', 'web', '--alarm', ALARM], /<cluster>\/<service>/],
  ])('refuses %j with exit 2 before any AWS call', async (args, message) => {
    await sandbox.clearCalls();
    const run = await policy(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(await sandbox.calls()).toEqual([]);
  });

  it('refuses a missing service, a DAEMON service and a missing alarm with exit 2, and changes nothing', async () => {
    await createService(ecs, 'prod', 'agent', await registerTaskDefinition(ecs, 'agent', [container('agent', 'acme/agent:1')]), {
      schedulingStrategy: 'DAEMON',
      desiredCount: undefined,
    });
    const cases: [string[], RegExp][] = [
      [['put', 'prod/nope', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10'], /no service named nope/],
      [['put', 'prod/agent', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10'], /DAEMON/],
      [['put', 'prod/web', '--alarm', 'nope', '--adjust', '+2', '--min', '1', '--max', '10'], /no metric alarm named "nope"/],
      [['remove', 'prod/web', '--alarm', 'nope'], /no metric alarm named "nope"/],
    ];
    for (const [args, message] of cases) {
      const run = await policy(...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    expect((await alarm())?.AlarmActions).toEqual([pagerArn]);
    expect(await alarmTags()).toEqual({ team: 'web' });
  });

  it('tells the user to install first when the topic is missing, exit 1', async () => {
    const run = await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10', '--name', 'other');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('other-alarms');
    expect(run.stderr).toContain('ecs-roll install');
    expect((await alarm())?.AlarmActions).toEqual([pagerArn]);
    expect(await alarmTags()).toEqual({ team: 'web' });
  });
});

// These call the packaged `work`, and need src/lambda/handler.ts to hand alarm events to
// handleAlarmEvent (`if (isAlarmEvent(event)) return handleAlarmEvent(event, log)` at the top of `work`).
describe('the packaged worker on alarm events', () => {
  let packaged: Awaited<ReturnType<typeof unpackPackagedHandler>>;

  beforeAll(async () => {
    packaged = await unpackPackagedHandler();
  });

  afterAll(async () => {
    await packaged.remove();
  });

  beforeEach(async () => {
    const put = await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10');
    expect(put.code, put.stderr).toBe(0);
  });

  /** The packaged `work`, in a fresh node process with no node_modules beside it. */
  function work(event: unknown) {
    return callPackagedHandler<{ ok: boolean; decisions?: Record<string, unknown>[] }>(packaged.folder, 'work', event, { AWS_ENDPOINT_URL: endpoint });
  }

  async function alarmArn(): Promise<string> {
    return (await alarm())?.AlarmArn ?? '';
  }

  /** The worker acts only on an alarm DescribeAlarms shows in ALARM, so an ALARM event needs the alarm there too. */
  async function alarmIn(state: string): Promise<void> {
    if (state === 'ALARM') await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: ALARM, StateValue: 'ALARM', StateReason: 'test' }));
  }

  async function snsEvent(state: string, message?: string) {
    await alarmIn(state);
    const body =
      message ??
      JSON.stringify({
        AlarmName: ALARM,
        AlarmDescription: 'web is busy',
        AWSAccountId: '123456789012',
        NewStateValue: state,
        NewStateReason: 'Threshold Crossed',
        StateChangeTime: '2026-01-02T03:04:05.678+0000',
        Region: 'US East (N. Virginia)',
        AlarmArn: await alarmArn(),
        OldStateValue: state === 'ALARM' ? 'OK' : 'ALARM',
        Trigger: { MetricName: 'CPUUtilization', Namespace: 'AWS/ECS', Statistic: 'AVERAGE', Period: 60, EvaluationPeriods: 3, ComparisonOperator: 'GreaterThanThreshold', Threshold: 75 },
      });
    return {
      Records: [
        {
          EventSource: 'aws:sns',
          EventVersion: '1.0',
          EventSubscriptionArn: `${topicArn}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55`,
          Sns: { Type: 'Notification', MessageId: 'e3c4d8c0-0000-0000-0000-000000000000', TopicArn: topicArn, Subject: `ALARM: "${ALARM}"`, Message: body, Timestamp: '2026-01-02T03:04:06.000Z' },
        },
      ],
    };
  }

  async function lambdaEvent(state: string) {
    await alarmIn(state);
    return {
      source: 'aws.cloudwatch',
      alarmArn: await alarmArn(),
      accountId: '123456789012',
      time: '2026-01-02T03:04:05.678+0000',
      region: REGION,
      alarmData: {
        alarmName: ALARM,
        state: { value: state, reason: 'Threshold Crossed', timestamp: '2026-01-02T03:04:05.678+0000' },
        previousState: { value: state === 'ALARM' ? 'OK' : 'ALARM', reason: 'x', timestamp: '2026-01-01T00:00:00.000+0000' },
        configuration: { description: 'web is busy', metrics: [] },
      },
    };
  }

  async function setDesired(count: number): Promise<void> {
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: count }));
  }

  it.each([
    ['SNS', () => snsEvent('ALARM')],
    ['a direct Lambda alarm action', () => lambdaEvent('ALARM')],
  ])('scales the service +2 on ALARM through %s and records when', async (_name, event) => {
    const worked = await work(await event());
    expect(worked.result).toMatchObject({ ok: true, decisions: [{ decision: 'acted', from: 4, to: 6 }] });
    expect(worked.logs).toEqual([expect.objectContaining({ event: 'alarm', decision: 'acted', alarm: ALARM, cluster: 'prod', service: 'web', from: 4, to: 6 })]);
    expect(await desired()).toBe(6);
    const service = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services?.[0];
    const tags = await ecs.send(new EcsListTagsForResourceCommand({ resourceArn: service?.serviceArn ?? '' }));
    const scaledAt = Number(tags.tags?.find((tag) => tag.key === 'ecs-roll:scaled-at')?.value);
    expect(Math.abs(scaledAt - Date.now() / 1000)).toBeLessThan(60);
  });

  it('holds the count at max 10 and then does nothing at max', async () => {
    await setDesired(9);
    const clamped = await work(await snsEvent('ALARM'));
    expect(clamped.result.decisions?.[0]).toMatchObject({ decision: 'clamped', from: 9, to: 10, bound: 'max' });
    expect(await desired()).toBe(10);

    // A fresh policy put does not reset the service's cooldown; a zero cooldown lets the next alarm through.
    expect((await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10', '--cooldown', '0')).code).toBe(0);
    const atMax = await work(await lambdaEvent('ALARM'));
    expect(atMax.result).toMatchObject({ ok: true, decisions: [{ decision: 'at-bound', count: 10, bound: 'max' }] });
    expect(await desired()).toBe(10);
  });

  it.each(['OK', 'INSUFFICIENT_DATA'])('does nothing when the alarm goes to %s, in either shape', async (state) => {
    for (const event of [await snsEvent(state), await lambdaEvent(state)]) {
      const worked = await work(event);
      expect(worked.result).toMatchObject({ ok: true, decisions: [{ decision: 'not-alarm', state }] });
    }
    expect(await desired()).toBe(4);
  });

  it('drops a malformed message without throwing', async () => {
    const worked = await work(await snsEvent('ALARM', '{"AlarmName": "web-cpu-'));
    expect(worked.result).toMatchObject({ ok: false, decisions: [{ decision: 'malformed' }] });
    expect(worked.logs).toEqual([expect.objectContaining({ event: 'alarm', decision: 'malformed', level: 'warn' })]);
    expect(await desired()).toBe(4);
  });

  it('does nothing in the cooldown after a scale', async () => {
    expect((await work(await snsEvent('ALARM'))).result.decisions?.[0]).toMatchObject({ decision: 'acted', to: 6 });
    const again = await work(await lambdaEvent('ALARM'));
    expect(again.result).toMatchObject({ ok: true, decisions: [{ decision: 'in-cooldown', cooldown: 300 }] });
    expect(await desired()).toBe(6);
  });

  it('logs and drops an alarm whose service is gone, and one without a policy', async () => {
    expect((await policy('remove', 'prod/web', '--alarm', ALARM)).code).toBe(0);
    expect((await work(await snsEvent('ALARM'))).result).toMatchObject({ ok: true, decisions: [{ decision: 'no-policy' }] });
    expect(await desired()).toBe(4);

    expect((await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10')).code).toBe(0);
    await ecs.send(new DeleteServiceCommand({ cluster: 'prod', service: 'web', force: true }));
    const gone = await work(await lambdaEvent('ALARM'));
    expect(gone.result).toMatchObject({ ok: true, decisions: [{ decision: 'service-gone' }] });
  });
});
