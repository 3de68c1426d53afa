// Alarm events and a policy as the unit tests of the alarm path build them.
import type { AlarmPolicy } from '../../src/core/alarm.js';

export const ALARM_ARN = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high';
export const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:ecs-roll-alarms';

/** The message CloudWatch publishes to SNS on a state change (AWS's documented example, trimmed). */
export function snsMessage(state: string, old = 'OK', name = 'cpu-high'): string {
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
    Trigger: {
      MetricName: 'CPUUtilization',
      Namespace: 'AWS/ECS',
      StatisticType: 'Statistic',
      Statistic: 'AVERAGE',
      Period: 60,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 80,
      TreatMissingData: 'missing',
      Dimensions: [],
    },
  });
}

export function snsEvent(message: string) {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${TOPIC_ARN}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55`,
        Sns: {
          Type: 'Notification',
          MessageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
          TopicArn: TOPIC_ARN,
          Subject: 'ALARM: "cpu-high"',
          Message: message,
          Timestamp: '2026-01-02T03:04:06.000Z',
          MessageAttributes: {},
        },
      },
    ],
  };
}

/** CloudWatch's direct Lambda alarm action. */
export function lambdaEvent(state: string, previous = 'OK') {
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

export const policy = (overrides: Partial<AlarmPolicy> = {}): AlarmPolicy => ({
  cluster: 'prod',
  service: 'web',
  adjustment: { kind: 'change', tasks: 2 },
  min: 1,
  max: 10,
  cooldownSeconds: 300,
  ...overrides,
});
