// CloudWatch alarms and SNS deliveries as the integration tests of the alarm path make them.
import { type CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';

/**
 * A CPU alarm as a user would make one (average over 60 s above 75 %), optionally on prod/web's dimensions and
 * with actions. Scaling-policy tests that need more of an alarm's fields build their own.
 */
export async function putCpuAlarm(
  cloudwatch: CloudWatchClient,
  name: string,
  options: { readonly actions?: readonly string[]; readonly onProdWeb?: boolean } = {},
): Promise<void> {
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      MetricName: 'CPUUtilization',
      Namespace: 'AWS/ECS',
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 75,
      ComparisonOperator: 'GreaterThanThreshold',
      ...(options.actions === undefined ? {} : { AlarmActions: [...options.actions] }),
      ...(options.onProdWeb === true
        ? {
            Dimensions: [
              { Name: 'ClusterName', Value: 'prod' },
              { Name: 'ServiceName', Value: 'web' },
            ],
          }
        : {}),
    }),
  );
}

/** The event SNS hands a subscribed Lambda function for one message of `topicArn` (Lambda's SNS event shape). */
export function snsDelivery(topicArn: string | undefined, message: string, options: { readonly subject?: string; readonly messageId?: string } = {}) {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:${options.messageId ?? 'test'}`,
        Sns: {
          Type: 'Notification',
          MessageId: options.messageId ?? `test-${Date.now()}`,
          TopicArn: topicArn,
          ...(options.subject === undefined ? {} : { Subject: options.subject }),
          Message: message,
          Timestamp: new Date().toISOString(),
        },
      },
    ],
  };
}
