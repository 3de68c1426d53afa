// The events a CloudWatch alarm's state change reaches a Lambda function with, for the unit and integration
// tests of the alarm path: the notification CloudWatch publishes to an SNS topic, the event SNS hands a
// subscribed function (https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html), and CloudWatch's direct
// Lambda alarm action (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#Lambda-action-payload).
// Plain data and no SDK, so unit tests load nothing more than they test.

const ACCOUNT = '123456789012';
/** One subscription of the topic to the function: SNS names every delivery with the same subscription ARN. */
const SUBSCRIPTION_ID = '2bcfbf39-05c3-41de-beaa-fcfcc21c8f55';
const CHANGED_AT = new Date('2026-01-02T03:04:05.678Z');

/** How CloudWatch writes a time in its alarm events: 2026-01-02T03:04:05.678+0000. */
const cloudWatchTime = (date: Date): string => date.toISOString().replace('Z', '+0000');

export interface AlarmStateChange {
  readonly name: string;
  readonly arn: string;
  readonly state: string;
  /** The state it left; OK unless said. */
  readonly previous?: string;
  /** When it changed; a fixed day in 2026 unless said. */
  readonly at?: Date;
  readonly description?: string;
}

/**
 * The message CloudWatch publishes to an SNS alarm action for a change of a CPU alarm like putCpuAlarm's
 * (AWS's documented example, trimmed). `actions` are the alarm's ALARM actions, as the message lists them.
 */
export function alarmNotification(change: AlarmStateChange, actions: readonly string[] = []): string {
  return JSON.stringify({
    AlarmName: change.name,
    AlarmDescription: change.description ?? null,
    AWSAccountId: ACCOUNT,
    AlarmConfigurationUpdatedTimestamp: '2026-01-01T00:00:00.000+0000',
    NewStateValue: change.state,
    NewStateReason: 'Threshold Crossed: 1 datapoint [92.0] was greater than the threshold (75.0).',
    StateChangeTime: cloudWatchTime(change.at ?? CHANGED_AT),
    Region: 'US East (N. Virginia)',
    AlarmArn: change.arn,
    OldStateValue: change.previous ?? 'OK',
    OKActions: [],
    AlarmActions: [...actions],
    InsufficientDataActions: [],
    Trigger: {
      MetricName: 'CPUUtilization',
      Namespace: 'AWS/ECS',
      StatisticType: 'Statistic',
      Statistic: 'AVERAGE',
      Period: 60,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 75,
      TreatMissingData: 'missing',
      Dimensions: [],
    },
  });
}

/**
 * The event SNS hands a subscribed Lambda function for one message of `topicArn`. Without `messageId` each
 * call makes a new one, as SNS does for each publish; without `at` it is stamped now.
 */
export function snsDelivery(
  topicArn: string | undefined,
  message: string,
  options: { readonly subject?: string; readonly messageId?: string; readonly at?: Date } = {},
) {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:${SUBSCRIPTION_ID}`,
        Sns: {
          Type: 'Notification',
          MessageId: options.messageId ?? `test-${Date.now()}`,
          TopicArn: topicArn,
          ...(options.subject === undefined ? {} : { Subject: options.subject }),
          Message: message,
          Timestamp: (options.at ?? new Date()).toISOString(),
          MessageAttributes: {},
        },
      },
    ],
  };
}

/** The event CloudWatch invokes a function with when the function is the alarm's own action. */
export function alarmAction(change: AlarmStateChange) {
  const time = cloudWatchTime(change.at ?? CHANGED_AT);
  return {
    source: 'aws.cloudwatch',
    alarmArn: change.arn,
    accountId: ACCOUNT,
    time,
    region: 'us-east-1',
    alarmData: {
      alarmName: change.name,
      state: { value: change.state, reason: 'Threshold Crossed', timestamp: time },
      previousState: { value: change.previous ?? 'OK', reason: 'x', timestamp: '2026-01-01T00:00:00.000+0000' },
      configuration: { description: change.description ?? '', metrics: [] },
    },
  };
}
