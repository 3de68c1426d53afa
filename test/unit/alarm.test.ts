import { describe, expect, it } from 'vitest';
import {
  alarmPutInput,
  isAlarmEventShape,
  parseAlarmEvent,
  parsePolicyInput,
  parseServiceSpec,
  policyFromTags,
  policyTags,
  scaledAtFromTags,
  SCALED_AT_TAG,
  withAction,
  withoutAction,
  type AlarmPolicy,
  type AlarmNow,
  type AlarmWorkerPort,
  type ScalableTargetBounds,
  type ScaleOutcome,
} from '../../src/core/alarm.js';
import { UsageError } from '../../src/core/errors.js';
import type { ServiceSnapshot, Tag } from '../../src/core/model.js';
import { handleAlarmEvent, isAlarmEvent } from '../../src/lambda/alarm.js';
import { decideScale } from '../../src/core/alarm-decision.js';
import { servicePolicyTag } from '../../src/core/scale-policy.js';
import { aService } from './builders.js';

const ALARM_ARN = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:ecs-roll-alarms';

/** The message CloudWatch publishes to SNS on a state change (AWS's documented example, trimmed). */
function snsMessage(state: string, old = 'OK', name = 'cpu-high'): string {
  return JSON.stringify({
    AlarmName: name,
    AlarmDescription: null,
    AWSAccountId: '123456789012',
    AlarmConfigurationUpdatedTimestamp: '2026-01-01T00:00:00.000+0000',
    NewStateValue: state,
    NewStateReason: 'Threshold Crossed: 1 datapoint [92.0] was greater than the threshold (80.0).',
    StateChangeTime: '2026-01-02T03:04:05.678+0000',
    Region: 'US East (N. Virginia)',
    AlarmArn: ALARM_ARN,
    OldStateValue: old,
    OKActions: [],
    AlarmActions: [TOPIC_ARN],
    InsufficientDataActions: [],
    Trigger: { MetricName: 'CPUUtilization', Namespace: 'AWS/ECS', StatisticType: 'Statistic', Statistic: 'AVERAGE', Period: 60, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanThreshold', Threshold: 80, TreatMissingData: 'missing', Dimensions: [] },
  });
}

function snsEvent(message: string) {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${TOPIC_ARN}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55`,
        Sns: { Type: 'Notification', MessageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e', TopicArn: TOPIC_ARN, Subject: 'ALARM: "cpu-high"', Message: message, Timestamp: '2026-01-02T03:04:06.000Z', MessageAttributes: {} },
      },
    ],
  };
}

/** CloudWatch's direct Lambda alarm action. */
function lambdaEvent(state: string, previous = 'OK') {
  return {
    source: 'aws.cloudwatch',
    alarmArn: ALARM_ARN,
    accountId: '123456789012',
    time: '2026-01-02T03:04:05.678+0000',
    region: 'us-east-1',
    alarmData: {
      alarmName: 'cpu-high',
      state: { value: state, reason: 'Threshold Crossed', timestamp: '2026-01-02T03:04:05.678+0000' },
      previousState: { value: previous, reason: 'x', timestamp: '2026-01-01T00:00:00.000+0000' },
      configuration: { description: '', metrics: [] },
    },
  };
}

const policy = (overrides: Partial<AlarmPolicy> = {}): AlarmPolicy => ({
  cluster: 'prod',
  service: 'web',
  adjustment: { kind: 'change', tasks: 2 },
  min: 1,
  max: 10,
  cooldownSeconds: 300,
  ...overrides,
});

describe('policy input', () => {
  it('parses a full policy', () => {
    expect(parsePolicyInput({ service: 'prod/web', adjust: '+50%', min: '2', max: '20', cooldown: '60' })).toEqual({
      cluster: 'prod',
      service: 'web',
      adjustment: { kind: 'percent', percent: 50 },
      min: 2,
      max: 20,
      cooldownSeconds: 60,
    });
    expect(parsePolicyInput({ service: 'prod/web', adjust: '=4', min: '1', max: '5' }).cooldownSeconds).toBe(300);
    expect(parsePolicyInput({ service: 'prod/web', adjust: '+1', min: '0', max: '5', cooldown: '0' }).cooldownSeconds).toBe(0);
  });

  it.each([
    [{ service: 'web', adjust: '+1', min: '1', max: '2' }, /cluster>\/<service>/],
    [{ service: 'a/b/c', adjust: '+1', min: '1', max: '2' }, /cluster>\/<service>/],
    [{ service: 'prod/', adjust: '+1', min: '1', max: '2' }, /cluster>\/<service>/],
    [{ service: 'prod/web', adjust: '2', min: '1', max: '2' }, /must be \+n/],
    [{ service: 'prod/web', adjust: '+1', min: '3', max: '2' }, /above --max/],
    [{ service: 'prod/web', adjust: '+1', min: '1.5', max: '2' }, /--min must be a whole number/],
    [{ service: 'prod/web', adjust: '+1', min: '1', max: '-2' }, /--max must be a whole number/],
    [{ service: 'prod/web', adjust: '+1', min: '1', max: '2', cooldown: '-1' }, /--cooldown must be a whole number/],
    [{ service: 'prod/web', adjust: '+1', min: '1', max: '2', cooldown: 'soon' }, /--cooldown must be a whole number/],
    [{ service: 'prod/web', adjust: '=9', min: '1', max: '5' }, /outside/],
    [{ service: 'prod/web', adjust: '+0', min: '1', max: '5' }, /never change/],
  ])('refuses %j', (raw, message) => {
    expect(() => parsePolicyInput(raw)).toThrow(UsageError);
    expect(() => parsePolicyInput(raw)).toThrow(message);
  });

  it('names a service only as cluster/service', () => {
    expect(parseServiceSpec('prod/web')).toEqual({ cluster: 'prod', service: 'web' });
    expect(() => parseServiceSpec(' prod/web')).toThrow(UsageError);
  });
});

describe('policy tags', () => {
  it.each(['+2', '-1', '=4', '+50%', '-10%', '+12.5%'])('round-trips %s through tags', (adjust) => {
    const original = parsePolicyInput({ service: 'prod/web', adjust, min: '0', max: '10', cooldown: '120' });
    const tags = policyTags(original);
    expect(tags.every((tag) => /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u.test(tag.value))).toBe(true);
    expect(policyFromTags([{ key: 'team', value: 'a' }, ...tags])).toEqual({ kind: 'policy', policy: original });
  });

  it('writes the documented keys', () => {
    expect(Object.fromEntries(policyTags(policy()).map((tag) => [tag.key, tag.value]))).toEqual({
      'ecs-roll:service': 'prod/web',
      'ecs-roll:adjust': '+2',
      'ecs-roll:min': '1',
      'ecs-roll:max': '10',
      'ecs-roll:cooldown': '300',
    });
  });

  it('has no policy without the service tag, and an invalid one with broken tags', () => {
    expect(policyFromTags([{ key: 'team', value: 'a' }])).toEqual({ kind: 'none' });
    expect(policyFromTags([{ key: 'ecs-roll:service', value: 'prod/web' }]).kind).toBe('invalid');
    const broken: Tag[] = policyTags(policy()).map((tag) => (tag.key === 'ecs-roll:max' ? { ...tag, value: 'lots' } : tag));
    expect(policyFromTags(broken).kind).toBe('invalid');
  });

  it('reads scaled-at as whole epoch seconds only', () => {
    expect(scaledAtFromTags([{ key: SCALED_AT_TAG, value: '1767225600' }])).toBe(1_767_225_600);
    expect(scaledAtFromTags([{ key: SCALED_AT_TAG, value: 'yesterday' }])).toBeUndefined();
    expect(scaledAtFromTags([])).toBeUndefined();
  });
});

describe('alarm re-put', () => {
  const described = {
    AlarmName: 'cpu-high',
    AlarmArn: ALARM_ARN,
    AlarmDescription: 'desc',
    AlarmConfigurationUpdatedTimestamp: new Date('2026-01-01T00:00:00Z'),
    ActionsEnabled: true,
    OKActions: ['arn:aws:sns:us-east-1:123456789012:ok'],
    AlarmActions: ['arn:aws:sns:us-east-1:123456789012:pager'],
    InsufficientDataActions: [],
    StateValue: 'OK',
    StateReason: 'Unchecked',
    StateReasonData: '{}',
    StateUpdatedTimestamp: new Date('2026-01-01T00:00:00Z'),
    StateTransitionedTimestamp: new Date('2026-01-01T00:00:00Z'),
    EvaluationState: 'PARTIAL_DATA',
    MetricName: 'CPUUtilization',
    Namespace: 'AWS/ECS',
    Statistic: 'Average',
    Dimensions: [{ Name: 'ClusterName', Value: 'prod' }],
    Period: 60,
    Unit: 'Percent',
    EvaluationPeriods: 2,
    DatapointsToAlarm: 2,
    Threshold: 80,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
    Metrics: [],
    SomeFieldFromTheFuture: { kept: true },
  };

  it('keeps every writable field, drops the read-only ones and an empty Metrics, and sets the actions', () => {
    const input = alarmPutInput(described, withAction(described.AlarmActions, TOPIC_ARN));
    expect(input).toEqual({
      AlarmName: 'cpu-high',
      AlarmDescription: 'desc',
      ActionsEnabled: true,
      OKActions: ['arn:aws:sns:us-east-1:123456789012:ok'],
      AlarmActions: ['arn:aws:sns:us-east-1:123456789012:pager', TOPIC_ARN],
      InsufficientDataActions: [],
      MetricName: 'CPUUtilization',
      Namespace: 'AWS/ECS',
      Statistic: 'Average',
      Dimensions: [{ Name: 'ClusterName', Value: 'prod' }],
      Period: 60,
      Unit: 'Percent',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 80,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      SomeFieldFromTheFuture: { kept: true },
    });
    expect(described.AlarmActions).toEqual(['arn:aws:sns:us-east-1:123456789012:pager']);
  });

  it('keeps a metric-math alarm\'s Metrics', () => {
    const math = { AlarmName: 'm', Metrics: [{ Id: 'e1', Expression: 'm1+m2' }], ThresholdMetricId: 'e1' };
    expect(alarmPutInput(math, [])).toMatchObject({ Metrics: [{ Id: 'e1', Expression: 'm1+m2' }], ThresholdMetricId: 'e1', AlarmActions: [] });
  });

  it('adds the topic once and removes only the topic', () => {
    expect(withAction(['a', TOPIC_ARN], TOPIC_ARN)).toEqual(['a', TOPIC_ARN]);
    expect(withoutAction(['a', TOPIC_ARN, 'b'], TOPIC_ARN)).toEqual(['a', 'b']);
  });
});

describe('alarm events', () => {
  it.each([
    ['SNS, into ALARM', snsEvent(snsMessage('ALARM')), { shape: 'sns', newState: 'ALARM', oldState: 'OK' }],
    ['SNS, into OK', snsEvent(snsMessage('OK', 'ALARM')), { shape: 'sns', newState: 'OK', oldState: 'ALARM' }],
    ['SNS, into INSUFFICIENT_DATA', snsEvent(snsMessage('INSUFFICIENT_DATA')), { shape: 'sns', newState: 'INSUFFICIENT_DATA' }],
    ['Lambda action, into ALARM', lambdaEvent('ALARM'), { shape: 'lambda', newState: 'ALARM', oldState: 'OK' }],
    ['Lambda action, into OK', lambdaEvent('OK', 'ALARM'), { shape: 'lambda', newState: 'OK' }],
  ])('parses %s', (_name, event, expected) => {
    expect(isAlarmEventShape(event)).toBe(true);
    const parsed = parseAlarmEvent(event);
    expect(parsed).toHaveLength(1);
    expect(parsed[0]).toMatchObject({ kind: 'transition', transition: { alarmName: 'cpu-high', alarmArn: ALARM_ARN, time: '2026-01-02T03:04:05.678+0000', ...expected } });
  });

  it.each([
    ['a message that is not JSON', snsEvent('{"AlarmName":')],
    ['a message that is not an alarm', snsEvent(JSON.stringify({ hello: 'world' }))],
    ['a message that is a JSON string', snsEvent(JSON.stringify('ALARM'))],
    ['an SNS record without a message', { Records: [{ EventSource: 'aws:sns', Sns: {} }] }],
    ['a Lambda action without alarmData', { source: 'aws.cloudwatch', alarmData: null }],
    ['a Lambda action without a state', { source: 'aws.cloudwatch', alarmData: { alarmName: 'x' } }],
  ])('calls %s malformed', (_name, event) => {
    expect(parseAlarmEvent(event)).toEqual([{ kind: 'malformed', reason: expect.any(String) }]);
  });

  it('is not confused with a rollout job or anything else', () => {
    for (const event of [{ image: 'acme/web:1', pushedAt: 1 }, null, 'ALARM', [], { Records: [] }, { Records: [{ eventSource: 'aws:sqs' }] }]) {
      expect(isAlarmEventShape(event)).toBe(false);
      expect(isAlarmEvent(event)).toBe(false);
    }
  });
});

describe('decideScale', () => {
  const NOW = 1_767_225_600;
  it.each([
    ['+2 from 4', policy(), 4, undefined, { kind: 'acted', from: 4, to: 6 }],
    ['-1 from 4', policy({ adjustment: { kind: 'change', tasks: -1 } }), 4, undefined, { kind: 'acted', from: 4, to: 3 }],
    ['=5 from 2', policy({ adjustment: { kind: 'exact', count: 5 } }), 2, undefined, { kind: 'acted', from: 2, to: 5 }],
    ['+10% from 4 (one task)', policy({ adjustment: { kind: 'percent', percent: 10 } }), 4, undefined, { kind: 'acted', from: 4, to: 5 }],
    ['+2 from 9 clamped at max 10', policy(), 9, undefined, { kind: 'clamped', from: 9, to: 10, bound: 'max' }],
    ['-3 from 3 clamped at min 1', policy({ adjustment: { kind: 'change', tasks: -3 } }), 3, undefined, { kind: 'clamped', from: 3, to: 1, bound: 'min' }],
    ['+2 at max', policy(), 10, undefined, { kind: 'at-bound', count: 10, bound: 'max' }],
    ['-1 at min', policy({ adjustment: { kind: 'change', tasks: -1 } }), 1, undefined, { kind: 'at-bound', count: 1, bound: 'min' }],
    ['+2 above max comes down to max', policy(), 12, undefined, { kind: 'clamped', from: 12, to: 10, bound: 'max' }],
    ['=5 when already 5', policy({ adjustment: { kind: 'exact', count: 5 } }), 5, undefined, { kind: 'at-bound', count: 5, bound: null }],
    ['cooldown active', policy(), 4, NOW - 299, { kind: 'in-cooldown', scaledAt: NOW - 299, cooldownSeconds: 300, remainingSeconds: 1 }],
    ['cooldown over', policy(), 4, NOW - 300, { kind: 'acted', from: 4, to: 6 }],
    ['scaled-at in the future', policy(), 4, NOW + 50, { kind: 'in-cooldown', scaledAt: NOW + 50, cooldownSeconds: 300, remainingSeconds: 300 }],
    ['cooldown 0', policy({ cooldownSeconds: 0 }), 4, NOW, { kind: 'acted', from: 4, to: 6 }],
  ] as const)('%s', (_name, given, desiredCount, lastScaledAt, expected) => {
    expect(decideScale({ policy: given, desiredCount, lastScaledAt, now: NOW })).toEqual(expected);
  });
});

/** An in-memory AWS for the worker: one alarm, one service whose tags hold the alarm's policy. */
class FakeAws implements AlarmWorkerPort {
  readonly updates: number[] = [];
  readonly marks: number[] = [];
  alarm: AlarmNow | undefined = { arn: ALARM_ARN, state: 'ALARM', tags: [{ key: 'ecs-roll:service', value: 'prod/web' }] };
  service: ServiceSnapshot | undefined = aService({ desiredCount: 4 });
  serviceTagList: Tag[] = [servicePolicyTag(policy(), { arn: ALARM_ARN, name: 'cpu-high' })];
  target: ScalableTargetBounds | undefined;
  failUpdate = false;

  async describeAlarm(): Promise<AlarmNow | undefined> {
    return this.alarm;
  }
  async describeService(): Promise<ServiceSnapshot | undefined> {
    return this.service;
  }
  async serviceTags(): Promise<readonly Tag[]> {
    return this.serviceTagList;
  }
  async scalableTarget(): Promise<ScalableTargetBounds | undefined> {
    return this.target;
  }
  async setDesiredCount(_service: ServiceSnapshot, count: number): Promise<ScaleOutcome> {
    if (this.failUpdate) throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
    this.updates.push(count);
    return { outcome: 'updated' };
  }
  async markScaled(_arn: string, at: number): Promise<void> {
    this.marks.push(at);
  }
  set stateNow(state: string) {
    if (this.alarm !== undefined) this.alarm = { ...this.alarm, state };
  }
}

describe('handleAlarmEvent', () => {
  const NOW = 1_767_225_600;
  const run = async (event: unknown, aws: FakeAws) => {
    const lines: Record<string, unknown>[] = [];
    const result = await handleAlarmEvent(event, (fields) => lines.push({ ...fields }), aws, { now: () => NOW });
    return { ...result, lines };
  };

  it.each([
    ['SNS', snsEvent(snsMessage('ALARM'))],
    ['Lambda action', lambdaEvent('ALARM')],
  ])('scales on ALARM through %s and records the time', async (_name, event) => {
    const aws = new FakeAws();
    const { ok, decisions, lines } = await run(event, aws);
    expect(ok).toBe(true);
    expect(decisions).toEqual([expect.objectContaining({ decision: 'acted', alarm: 'cpu-high', cluster: 'prod', service: 'web', from: 4, to: 6 })]);
    expect(aws.updates).toEqual([6]);
    expect(aws.marks).toEqual([NOW]);
    expect(lines).toEqual([expect.objectContaining({ level: 'info', event: 'alarm', decision: 'acted', from: 4, to: 6 })]);
  });

  it.each([['OK'], ['INSUFFICIENT_DATA']])('does nothing on an ALARM message while DescribeAlarms says %s (stale or forged)', async (state) => {
    const aws = new FakeAws();
    aws.stateNow = state;
    const { decisions } = await run(snsEvent(snsMessage('ALARM')), aws);
    expect(decisions).toEqual([expect.objectContaining({ decision: 'not-alarm', state })]);
    expect(String(decisions[0]?.reason)).toMatch(/stale or forged/);
    expect(aws.updates).toEqual([]);
  });

  it.each([
    ['OK', snsEvent(snsMessage('OK', 'ALARM')), { decision: 'not-alarm', state: 'OK' }],
    ['INSUFFICIENT_DATA', lambdaEvent('INSUFFICIENT_DATA'), { decision: 'not-alarm', state: 'INSUFFICIENT_DATA' }],
    ['malformed', snsEvent('not json'), { decision: 'malformed' }],
  ])('does nothing on %s', async (_name, event, expected) => {
    const aws = new FakeAws();
    const { decisions, lines } = await run(event, aws);
    expect(decisions).toEqual([expect.objectContaining(expected)]);
    expect(lines).toHaveLength(1);
    expect(aws.updates).toEqual([]);
  });

  it('does nothing in cooldown, at max, without a policy or a service', async () => {
    const cooling = new FakeAws();
    cooling.serviceTagList.push({ key: SCALED_AT_TAG, value: String(NOW - 10) });
    expect((await run(lambdaEvent('ALARM'), cooling)).decisions[0]).toMatchObject({ decision: 'in-cooldown', remaining: 290 });

    const full = new FakeAws();
    full.service = aService({ desiredCount: 10 });
    expect((await run(lambdaEvent('ALARM'), full)).decisions[0]).toMatchObject({ decision: 'at-bound', count: 10, bound: 'max' });

    const bare = new FakeAws();
    bare.serviceTagList = [];
    expect((await run(lambdaEvent('ALARM'), bare)).decisions[0]).toMatchObject({ decision: 'no-policy' });

    const gone = new FakeAws();
    gone.service = undefined;
    const result = await run(lambdaEvent('ALARM'), gone);
    expect(result.ok).toBe(true);
    expect(result.decisions[0]).toMatchObject({ decision: 'service-gone', reason: 'no service prod/web' });
    expect(result.lines[0]).toMatchObject({ level: 'warn', decision: 'service-gone' });

    for (const aws of [cooling, full, bare, gone]) expect(aws.updates).toEqual([]);
  });

  it('logs a clamp and a DAEMON service', async () => {
    const near = new FakeAws();
    near.service = aService({ desiredCount: 9 });
    expect((await run(snsEvent(snsMessage('ALARM')), near)).decisions[0]).toMatchObject({ decision: 'clamped', from: 9, to: 10, bound: 'max' });

    const daemon = new FakeAws();
    daemon.service = aService({ schedulingStrategy: 'DAEMON' });
    expect((await run(snsEvent(snsMessage('ALARM')), daemon)).decisions[0]).toMatchObject({ decision: 'skipped' });
    expect(daemon.updates).toEqual([]);
  });

  it('does nothing for an alarm whose ARN no service names: a copy made by hand, with the same tags and actions', async () => {
    const copy = new FakeAws();
    copy.alarm = { arn: `${ALARM_ARN}-copy`, state: 'ALARM', tags: [{ key: 'ecs-roll:service', value: 'prod/web' }] };
    const event = { ...lambdaEvent('ALARM'), alarmArn: `${ALARM_ARN}-copy` };
    expect((await run(event, copy)).decisions[0]).toMatchObject({ decision: 'no-policy', reason: expect.stringContaining('hold no policy for this alarm') });

    const retargeted = new FakeAws();
    retargeted.alarm = { arn: ALARM_ARN, state: 'ALARM', tags: [{ key: 'ecs-roll:service', value: 'prod/api' }] };
    retargeted.service = aService({ serviceName: 'api', desiredCount: 4 });
    retargeted.serviceTagList = [];
    expect((await run(lambdaEvent('ALARM'), retargeted)).decisions[0]).toMatchObject({ decision: 'no-policy', service: 'api' });

    const unpointed = new FakeAws();
    unpointed.alarm = { arn: ALARM_ARN, state: 'ALARM', tags: [] };
    expect((await run(lambdaEvent('ALARM'), unpointed)).decisions[0]).toMatchObject({ decision: 'no-policy' });

    // A message naming this alarm but another account's ARN is not about this region's alarm.
    const elsewhere = new FakeAws();
    const foreign = snsMessage('ALARM').replace(ALARM_ARN, 'arn:aws:cloudwatch:us-east-1:210987654321:alarm:cpu-high');
    expect((await run(snsEvent(foreign), elsewhere)).decisions[0]).toMatchObject({ decision: 'no-policy', reason: expect.stringContaining('210987654321') });

    const gone = new FakeAws();
    gone.alarm = undefined;
    expect((await run(lambdaEvent('ALARM'), gone)).decisions[0]).toMatchObject({ decision: 'no-policy' });
    for (const aws of [copy, retargeted, unpointed, elsewhere, gone]) expect(aws.updates).toEqual([]);
  });

  it('holds the count within Application Auto Scaling\'s bounds and says so', async () => {
    const aws = new FakeAws();
    aws.service = aService({ desiredCount: 7 });
    aws.target = { resourceId: 'service/prod/web', min: 2, max: 8 };
    const { decisions, lines } = await run(snsEvent(snsMessage('ALARM')), aws);
    expect(decisions[0]).toMatchObject({ decision: 'clamped', from: 7, to: 8, bound: 'autoscaling-max', autoscaling: { resourceId: 'service/prod/web', min: 2, max: 8 } });
    expect(lines[0]).toMatchObject({ level: 'info', message: expect.stringContaining('Application Auto Scaling keeps service/prod/web within 2..8') });
    expect(aws.updates).toEqual([8]);

    const atTarget = new FakeAws();
    atTarget.service = aService({ desiredCount: 8 });
    atTarget.target = { resourceId: 'service/prod/web', min: 2, max: 8 };
    expect((await run(lambdaEvent('ALARM'), atTarget)).decisions[0]).toMatchObject({ decision: 'at-bound', bound: 'autoscaling-max' });
    expect(atTarget.updates).toEqual([]);
  });

  it('never throws: a failing AWS call becomes a failed decision', async () => {
    const aws = new FakeAws();
    aws.failUpdate = true;
    const result = await run(snsEvent(snsMessage('ALARM')), aws);
    expect(result.ok).toBe(false);
    expect(result.decisions[0]).toMatchObject({ decision: 'failed', reason: expect.stringContaining('throttled') });
    expect(result.lines[0]).toMatchObject({ level: 'error' });
    expect(aws.marks).toEqual([]);
  });
});
