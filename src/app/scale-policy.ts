/**
 * `scale policy put` and `remove`. A policy is a tag on the ECS service (src/core/scale-policy.ts): writing one
 * takes ecs:TagResource on that service, which an alarm writer does not have. The alarm gets the install's topic
 * among its actions and an `ecs-roll:service` tag saying where to look. The commands reach AWS through the ports
 * they are given (src/cli/commands/scale-policy-ports.ts wires the SDK), so each runs against fakes too; `list`
 * is in scale-policy-list.ts.
 */
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { type AlarmPolicy, parseServiceSpec, policyServiceLabel, withAction, withoutAction } from '../core/alarm.js';
import { isShortServiceArn } from '../core/arn.js';
import { OperationFailedError, UsageError } from '../core/errors.js';
import type { ServiceSnapshot, Tag } from '../core/model.js';
import {
  ALARM_SERVICE_TAG,
  LEGACY_ALARM_POLICY_KEYS,
  policyForAlarm,
  servicePolicyTag,
  servicePolicyTagKey,
  tagLimitProblem,
} from '../core/scale-policy.js';

/** CloudWatch, as the policy commands use it. */
export interface PolicyAlarmsPort {
  describeAlarm(name: string): Promise<MetricAlarm | undefined>;
  /** Every metric alarm in the region. */
  listAlarms(): Promise<MetricAlarm[]>;
  findTopicArn(name: string): Promise<string | undefined>;
  alarmTags(alarmArn: string): Promise<Tag[]>;
  setAlarmActions(alarm: MetricAlarm, alarmActions: readonly string[]): Promise<void>;
  tagAlarm(alarmArn: string, tags: readonly Tag[]): Promise<void>;
  untagAlarm(alarmArn: string, keys: readonly string[]): Promise<void>;
}

/** ECS services and their tags. */
export interface PolicyServicesPort {
  findService(service: string, cluster?: string): Promise<ServiceSnapshot>;
  describeServiceIfAny(cluster: string, service: string): Promise<ServiceSnapshot | undefined>;
  serviceTags(serviceArn: string): Promise<Tag[]>;
  tagService(serviceArn: string, tags: readonly Tag[]): Promise<void>;
  untagService(serviceArn: string, keys: readonly string[]): Promise<void>;
  listClusterArns(): Promise<string[]>;
  listServiceArns(cluster: string): Promise<string[]>;
  /** At most 10 services a call, as DescribeServices takes them. */
  describeServices(cluster: string, services: readonly string[]): Promise<ServiceSnapshot[]>;
}

export interface ScalePolicyPorts {
  readonly alarms: PolicyAlarmsPort;
  readonly services: PolicyServicesPort;
}

export interface PutScalePolicyRequest {
  readonly policy: AlarmPolicy;
  readonly alarmName: string;
  /** The install's alarm topic, which the alarm must notify. */
  readonly topicName: string;
}

export interface PutScalePolicyResult {
  readonly alarm: MetricAlarm & { AlarmArn: string };
  readonly service: ServiceSnapshot;
  readonly tagKey: string;
  /** The policy this one replaced for the same alarm, if any. */
  readonly replaced: AlarmPolicy | undefined;
  /** The service the alarm drove before, whose policy for it was removed. */
  readonly movedFrom: string | undefined;
  readonly topicArn: string;
  readonly topicAdded: boolean;
  readonly previousActions: readonly string[];
  readonly alarmActions: readonly string[];
}

export async function requireAlarm(alarms: Pick<PolicyAlarmsPort, 'describeAlarm'>, name: string): Promise<MetricAlarm & { AlarmArn: string }> {
  const alarm = await alarms.describeAlarm(name);
  if (alarm === undefined) throw new UsageError(`no metric alarm named ${JSON.stringify(name)} in this region; create the alarm first`);
  if (alarm.AlarmArn === undefined) throw new OperationFailedError(`DescribeAlarms answered ${name} without its ARN`);
  return alarm as MetricAlarm & { AlarmArn: string };
}

/** `scale policy put`: the policy goes on the service's tags; the alarm notifies the install's topic. */
export async function putScalePolicy(request: PutScalePolicyRequest, { alarms, services }: ScalePolicyPorts): Promise<PutScalePolicyResult> {
  const { policy, alarmName, topicName } = request;
  const label = policyServiceLabel(policy);
  const service = await services.findService(policy.service, policy.cluster);
  if (service.schedulingStrategy === 'DAEMON') {
    throw new UsageError(`${label} is a DAEMON service: it runs one task per instance and has no desired count to scale`);
  }
  if (isShortServiceArn(service.serviceArn)) {
    // ECS refuses to tag such a service (InvalidParameterException), and the policy lives in its tags.
    throw new UsageError(
      `${label} has a pre-2021 short ARN (${service.serviceArn}), and ECS tags only services with the long ARN, where the policy is kept: migrate it (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-arn-migration.html) and run again; nothing was changed`,
    );
  }
  const alarm = await requireAlarm(alarms, alarmName);
  const topicArn = await alarms.findTopicArn(topicName);
  if (topicArn === undefined) {
    throw new OperationFailedError(`no SNS topic named ${topicName} in this region: run \`ecs-roll install\` first (or pass the install's --name)`);
  }
  const tag = servicePolicyTag(policy, { arn: alarm.AlarmArn, name: alarmName });
  const existing = await services.serviceTags(service.serviceArn);
  const tooMany = tagLimitProblem(existing, [tag]);
  if (tooMany !== undefined) throw new UsageError(`cannot put the policy on ${label}: ${tooMany}; nothing was changed`);
  const previous = policyForAlarm(existing, alarm.AlarmArn, policy);
  const alarmTags = await alarms.alarmTags(alarm.AlarmArn);

  // The service first: once the alarm notifies the topic, the worker must find the policy.
  await services.tagService(service.serviceArn, [tag]);
  // An alarm drives one service: a policy for it on the service it named before is no longer reached.
  const pointer = alarmTags.find((candidate) => candidate.key === ALARM_SERVICE_TAG)?.value;
  let movedFrom: string | undefined;
  if (pointer !== undefined && pointer !== label) {
    const before = parseSafe(pointer);
    const old = before === undefined ? undefined : await services.describeServiceIfAny(before.cluster, before.service);
    if (old !== undefined) {
      await services.untagService(old.serviceArn, [servicePolicyTagKey(alarm.AlarmArn)]);
      movedFrom = pointer;
    }
  }
  await alarms.tagAlarm(alarm.AlarmArn, [{ key: ALARM_SERVICE_TAG, value: label }]);
  const legacy = alarmTags.map((candidate) => candidate.key).filter((key) => (LEGACY_ALARM_POLICY_KEYS as readonly string[]).includes(key));
  await alarms.untagAlarm(alarm.AlarmArn, legacy);
  const actions = alarm.AlarmActions ?? [];
  const topicAdded = !actions.includes(topicArn);
  const alarmActions = withAction(actions, topicArn);
  if (topicAdded) await alarms.setAlarmActions(alarm, alarmActions);
  return {
    alarm,
    service,
    tagKey: tag.key,
    replaced: previous.kind === 'policy' ? previous.policy : undefined,
    movedFrom,
    topicArn,
    topicAdded,
    previousActions: actions,
    alarmActions,
  };
}

/** The SNS actions of an alarm that point at a topic called `topicName`, whichever account or region wrote them. */
function topicActions(actions: readonly string[], topicName: string): string[] {
  return actions.filter(
    (action) => action.startsWith('arn:') && action.split(':')[2] === 'sns' && action.slice(action.lastIndexOf(':') + 1) === topicName,
  );
}

function parseSafe(spec: string): { cluster: string; service: string } | undefined {
  try {
    return parseServiceSpec(spec);
  } catch {
    return undefined;
  }
}

export interface RemoveScalePolicyRequest {
  readonly cluster: string;
  readonly service: string;
  readonly alarmName: string;
  readonly topicName: string;
}

export interface RemoveScalePolicyResult {
  /** Whether the service (or, from an older install, the alarm) held a policy for the alarm. */
  readonly hadPolicy: boolean;
  /** The install topic's actions taken off the alarm. */
  readonly topicRemoved: readonly string[];
  readonly alarmActions: readonly string[];
}

/** `scale policy remove`: the policy leaves the service's tags; the topic leaves the alarm's actions (the others stay). */
export async function removeScalePolicy(request: RemoveScalePolicyRequest, { alarms, services }: ScalePolicyPorts): Promise<RemoveScalePolicyResult> {
  const { cluster, service, alarmName } = request;
  const label = `${cluster}/${service}`;
  const alarm = await requireAlarm(alarms, alarmName);
  const alarmTags = await alarms.alarmTags(alarm.AlarmArn);
  const pointer = alarmTags.find((tag) => tag.key === ALARM_SERVICE_TAG)?.value;
  const found = await services.describeServiceIfAny(cluster, service);
  const key = servicePolicyTagKey(alarm.AlarmArn);
  const onService = found === undefined ? false : (await services.serviceTags(found.serviceArn)).some((tag) => tag.key === key);
  if (pointer !== undefined && pointer !== label && !onService) {
    throw new UsageError(`alarm ${alarmName} carries the policy for ${pointer}, not ${label}; nothing was changed`);
  }
  if (found !== undefined && onService) await services.untagService(found.serviceArn, [key]);
  // The alarm's side goes only when it points here (or nowhere): another service's policy stays reached.
  const ours = pointer === undefined || pointer === label;
  const topic = ours ? topicActions(alarm.AlarmActions ?? [], request.topicName) : [];
  const actions = alarm.AlarmActions ?? [];
  const remaining = topic.reduce((left, arn) => withoutAction(left, arn), actions);
  if (topic.length > 0) await alarms.setAlarmActions(alarm, remaining);
  const alarmKeys: readonly string[] = ours ? [ALARM_SERVICE_TAG, ...LEGACY_ALARM_POLICY_KEYS] : [...LEGACY_ALARM_POLICY_KEYS];
  await alarms.untagAlarm(
    alarm.AlarmArn,
    alarmTags.map((tag) => tag.key).filter((tagKey) => alarmKeys.includes(tagKey)),
  );
  const hadPolicy = onService || alarmTags.some((tag) => (LEGACY_ALARM_POLICY_KEYS as readonly string[]).includes(tag.key));
  return { hadPolicy, topicRemoved: topic, alarmActions: remaining };
}
