// What the scale policy tests share: the sandbox's clients, a service prod/web with 4 tasks, install's
// alarm topic (made directly: install is not under test here), another topic the alarm already notifies,
// and the alarm itself; with helpers that read the outcome back through the AWS API.
import { CloudWatchClient, DescribeAlarmsCommand, ListTagsForResourceCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ListTagsForResourceCommand as EcsListTagsForResourceCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { beforeAll, beforeEach } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { sandboxControl } from '../sandbox/client.js';
import { container, createCluster, createService, ecsClient, REGION, registerTaskDefinition, runCli } from './helpers.js';

export const endpoint = sandboxEndpoint();
export const sandbox = sandboxControl(endpoint);
export const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
export const ALARM = 'web-cpu-high';
export let ecs: ECSClient;
export let cloudwatch: CloudWatchClient;
export let sns: SNSClient;
export let topicArn: string;
export let pagerArn: string;

export const policy = (...args: string[]) => runCli(['scale', 'policy', ...args, '--endpoint-url', endpoint]);

export async function createAlarm(name = ALARM, alarmActions: string[] = [pagerArn]): Promise<void> {
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

export async function alarm(name = ALARM) {
  const answer = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
  return answer.MetricAlarms?.[0];
}

export async function alarmTags(name = ALARM): Promise<Record<string, string>> {
  const arn = (await alarm(name))?.AlarmArn ?? '';
  const answer = await cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
  return Object.fromEntries((answer.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

/** The service's tags, by key. */
export async function serviceTags(service = 'web'): Promise<Record<string, string>> {
  const arn = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: [service] }))).services?.[0]?.serviceArn ?? '';
  const answer = await ecs.send(new EcsListTagsForResourceCommand({ resourceArn: arn }));
  return Object.fromEntries((answer.tags ?? []).map((tag) => [tag.key ?? '', tag.value ?? '']));
}

/** The service's policy tags (`ecs-roll:alarm:*`), values only. */
export async function policyTagValues(service = 'web'): Promise<string[]> {
  return Object.entries(await serviceTags(service))
    .filter(([key]) => key.startsWith('ecs-roll:alarm:'))
    .map(([, value]) => value);
}

export async function desired(service = 'web'): Promise<number | undefined> {
  const answer = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: [service] }));
  return answer.services?.[0]?.desiredCount;
}

/** Each test file calls this once: clients before all, and a fresh sandbox with prod/web (4 tasks), the topics and the alarm before each test. */
export function useScalePolicyWorld(): void {
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
}
