import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  PutMetricAlarmCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type MetricAlarm,
  type PutMetricAlarmCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { ListTagsForResourceCommand as EcsListTagsForResourceCommand, TagResourceCommand as EcsTagResourceCommand } from '@aws-sdk/client-ecs';
import { SNSClient } from '@aws-sdk/client-sns';
import { alarmPutInput, SCALED_AT_TAG, type AlarmNow, type AlarmWorkerPort, type ScalableTargetBounds, type ScaleOutcome } from '../core/alarm.js';
import { executeRollout } from '../core/execute.js';
import type { ServiceSnapshot, Tag } from '../core/model.js';
import { planScale } from '../core/plan-scale.js';
import { systemClock } from '../core/ports.js';
import { clientConfig, type AwsConfig } from './config.js';
import { createEcsClient, SdkEcs } from './ecs.js';
import { AutoScaling } from './auto-scaling.js';
import { isAwsError } from './errors.js';
import { capitalisedTags, tagsFromSdk } from './tags.js';
import { findTopicArn } from './topics.js';

/** DescribeAlarms answers at most 100 alarms a page. */
const DESCRIBE_ALARMS_MAX_RECORDS = 100;

/** CloudWatch alarms and the install's SNS topic, for `scale policy` and the worker. */
export class CloudWatchAlarms {
  readonly cloudwatch: CloudWatchClient;
  private readonly sns: SNSClient;

  constructor(aws: AwsConfig) {
    this.cloudwatch = new CloudWatchClient(clientConfig(aws));
    this.sns = new SNSClient(clientConfig(aws));
  }

  /** The ARN of the topic with this name (the ARN's last segment), paging through ListTopics. */
  findTopicArn(name: string): Promise<string | undefined> {
    return findTopicArn(this.sns, name);
  }

  /** The metric alarm with exactly this name. */
  async describeAlarm(name: string): Promise<MetricAlarm | undefined> {
    const answer = await this.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['MetricAlarm'] }));
    return (answer.MetricAlarms ?? []).find((alarm) => alarm.AlarmName === name);
  }

  /** Every metric alarm in the region, 100 a page. */
  async listAlarms(): Promise<MetricAlarm[]> {
    const alarms: MetricAlarm[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmTypes: ['MetricAlarm'], MaxRecords: DESCRIBE_ALARMS_MAX_RECORDS, NextToken: nextToken }),
      );
      alarms.push(...(page.MetricAlarms ?? []));
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
    return alarms;
  }

  async alarmTags(alarmArn: string): Promise<Tag[]> {
    const answer = await this.cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: alarmArn }));
    return tagsFromSdk(answer.Tags);
  }

  /**
   * The alarm's tags, or undefined for an alarm deleted since it was described: ListTagsForResource answers 404
   * ResourceNotFound (the SDK also models ResourceNotFoundException).
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListTagsForResource.html
   */
  async alarmTagsIfAny(alarmArn: string): Promise<Tag[] | undefined> {
    try {
      return await this.alarmTags(alarmArn);
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFound', 'ResourceNotFoundException')) return undefined;
      throw error;
    }
  }

  /** Puts the alarm again, as DescribeAlarms returned it, with these alarm actions. */
  async setAlarmActions(alarm: MetricAlarm, alarmActions: readonly string[]): Promise<void> {
    const input = alarmPutInput(alarm as Record<string, unknown>, alarmActions);
    await this.cloudwatch.send(new PutMetricAlarmCommand(input as unknown as PutMetricAlarmCommandInput));
  }

  async tagAlarm(alarmArn: string, tags: readonly Tag[]): Promise<void> {
    await this.cloudwatch.send(new TagResourceCommand({ ResourceARN: alarmArn, Tags: capitalisedTags(tags) }));
  }

  async untagAlarm(alarmArn: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.cloudwatch.send(new UntagResourceCommand({ ResourceARN: alarmArn, TagKeys: [...keys] }));
  }

  destroy(): void {
    this.cloudwatch.destroy();
    this.sns.destroy();
  }
}

/** The worker's view of AWS: the alarm now, the service, its tags and count, its scalable target. */
export class SdkAlarmWorker implements AlarmWorkerPort {
  private readonly alarms: CloudWatchAlarms;
  private readonly ecs: SdkEcs;
  private readonly autoscaling: AutoScaling;

  constructor(aws: AwsConfig = {}) {
    this.alarms = new CloudWatchAlarms(aws);
    this.ecs = new SdkEcs(createEcsClient(aws));
    this.autoscaling = new AutoScaling(aws);
  }

  async describeAlarm(alarmName: string): Promise<AlarmNow | undefined> {
    const found = await this.alarms.describeAlarm(alarmName);
    if (found?.AlarmArn === undefined) return undefined;
    // Deleted between the two calls: no alarm.
    const tags = await this.alarms.alarmTagsIfAny(found.AlarmArn);
    return tags === undefined ? undefined : { arn: found.AlarmArn, state: found.StateValue ?? 'INSUFFICIENT_DATA', tags };
  }

  async scalableTarget(service: ServiceSnapshot): Promise<ScalableTargetBounds | undefined> {
    const target = await this.autoscaling.scalableTarget(service);
    return target === undefined ? undefined : { resourceId: target.resourceId, min: target.minCapacity, max: target.maxCapacity };
  }

  async describeService(cluster: string, service: string): Promise<ServiceSnapshot | undefined> {
    try {
      const found = await this.ecs.describeServices(cluster, [service]);
      return found.find((snapshot) => snapshot.serviceName === service && snapshot.status !== 'INACTIVE');
    } catch (error) {
      if (isAwsError(error, 'ClusterNotFoundException', 'ServiceNotFoundException')) return undefined;
      throw error;
    }
  }

  async serviceTags(serviceArn: string): Promise<readonly Tag[]> {
    const answer = await this.ecs.client.send(new EcsListTagsForResourceCommand({ resourceArn: serviceArn }));
    return tagsFromSdk(answer.tags);
  }

  async setDesiredCount(service: ServiceSnapshot, count: number): Promise<ScaleOutcome> {
    // The same plan and executor as `ecs-roll scale`: the count alone, the task definition untouched.
    const result = await executeRollout(
      planScale(service, count),
      { ecs: this.ecs, clock: systemClock, emit: () => {} },
      { wait: false, timeoutMs: 0, pollIntervalMs: 0, rollback: false, concurrency: 1 },
    );
    const outcome = result.services[0];
    const kind = outcome?.outcome === 'updated' ? 'updated' : outcome?.outcome === 'skipped' ? 'skipped' : 'failed';
    return { outcome: kind, ...(outcome?.reason === undefined ? {} : { reason: outcome.reason }) };
  }

  async markScaled(serviceArn: string, epochSeconds: number): Promise<void> {
    await this.ecs.client.send(new EcsTagResourceCommand({ resourceArn: serviceArn, tags: [{ key: SCALED_AT_TAG, value: String(epochSeconds) }] }));
  }

  destroy(): void {
    this.alarms.destroy();
    this.ecs.client.destroy();
    this.autoscaling.destroy();
  }
}
