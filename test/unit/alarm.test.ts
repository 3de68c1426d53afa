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
} from '../../src/core/alarm.js';
import { decideScale } from '../../src/core/alarm-decision.js';
import { UsageError } from '../../src/core/errors.js';
import type { Tag } from '../../src/core/model.js';
import { isAlarmEvent } from '../../src/lambda/alarm.js';
import { ALARM_ARN, lambdaEvent, policy, snsEvent, snsMessage, TOPIC_ARN } from './alarm-fixtures.js';
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

  it("keeps a metric-math alarm's Metrics", () => {
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
    expect(parsed[0]).toMatchObject({
      kind: 'transition',
      transition: { alarmName: 'cpu-high', alarmArn: ALARM_ARN, time: '2026-01-02T03:04:05.678+0000', ...expected },
    });
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
    [
      '-3 from 3 clamped at min 1',
      policy({ adjustment: { kind: 'change', tasks: -3 } }),
      3,
      undefined,
      { kind: 'clamped', from: 3, to: 1, bound: 'min' },
    ],
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
