// CloudWatch alarms as the integration tests of the alarm path make them (the events they send: test/alarm-events.ts).
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
