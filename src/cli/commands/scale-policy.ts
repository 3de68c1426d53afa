/**
 * `scale policy put` and `remove`. A policy is a tag on the ECS service (src/core/scale-policy.ts):
 * writing one takes ecs:TagResource on that service, which an alarm writer does not have. The
 * alarm gets the install's topic among its actions and an `ecs-roll:service` tag saying where to look.
 */
import { alarmTopicName, parsePolicyInput, parseServiceSpec, policyServiceLabel, withAction, withoutAction } from '../../core/alarm.js';
import { OperationFailedError, UsageError } from '../../core/errors.js';
import {
  ALARM_SERVICE_TAG,
  LEGACY_ALARM_POLICY_KEYS,
  policyForAlarm,
  servicePolicyTag,
  servicePolicyTagKey,
  tagLimitProblem,
} from '../../core/scale-policy.js';
import type { RawScalePolicyOptions } from '../raw-options.js';
import type { CliIo } from '../render.js';
import { alarmNameOf, awsOf, describePolicy, installNameOf, otherActions, policyJson, requireAlarm, topicActions, write } from './scale-policy-io.js';

export { runPolicyList } from './scale-policy-list.js';

async function loadAws() {
  const [{ CloudWatchAlarms }, { createEcsClient, SdkEcs }, { findService }, policies] = await Promise.all([
    import('../../aws/alarms.js'),
    import('../../aws/ecs.js'),
    import('../../aws/service-lookup.js'),
    import('../../aws/service-policies.js'),
  ]);
  return { CloudWatchAlarms, createEcsClient, SdkEcs, findService, policies };
}

/** `scale policy put`: the policy goes on the service's tags; the alarm notifies the install's topic. */
export async function runPolicyPut(spec: string, raw: RawScalePolicyOptions, io: CliIo): Promise<number> {
  const required = (value: string | undefined, flag: string): string => {
    if (value === undefined) throw new UsageError(`${flag} is required`);
    return value;
  };
  const policy = parsePolicyInput({
    service: spec,
    adjust: required(raw.adjust, '--adjust <+n|-n|=n|+n%|-n%>'),
    min: required(raw.min, '--min <n>'),
    max: required(raw.max, '--max <n>'),
    ...(raw.cooldown === undefined ? {} : { cooldown: raw.cooldown }),
  });
  const alarmName = alarmNameOf(raw);
  const topicName = alarmTopicName(installNameOf(raw));
  const json = raw.json === true;
  const aws = awsOf(raw, io);
  const label = policyServiceLabel(policy);

  const { CloudWatchAlarms, createEcsClient, SdkEcs, findService, policies } = await loadAws();
  const client = createEcsClient(aws);
  const alarms = new CloudWatchAlarms(aws);
  try {
    const ecs = new SdkEcs(client);
    const service = await findService(ecs, policy.service, policy.cluster);
    if (service.schedulingStrategy === 'DAEMON') {
      throw new UsageError(`${label} is a DAEMON service: it runs one task per instance and has no desired count to scale`);
    }
    const alarm = await requireAlarm(alarms, alarmName);
    const topicArn = await alarms.findTopicArn(topicName);
    if (topicArn === undefined) {
      throw new OperationFailedError(`no SNS topic named ${topicName} in this region: run \`ecs-roll install\` first (or pass the install's --name)`);
    }
    const tag = servicePolicyTag(policy, { arn: alarm.AlarmArn, name: alarmName });
    const existing = await policies.serviceTags(ecs, service.serviceArn);
    const tooMany = tagLimitProblem(existing, [tag]);
    if (tooMany !== undefined) throw new UsageError(`cannot put the policy on ${label}: ${tooMany}; nothing was changed`);
    const previous = policyForAlarm(existing, alarm.AlarmArn, policy);
    const alarmTags = await alarms.alarmTags(alarm.AlarmArn);

    // The service first: once the alarm notifies the topic, the worker must find the policy.
    await policies.tagService(ecs, service.serviceArn, [tag]);
    // An alarm drives one service: a policy for it on the service it named before is no longer reached.
    const pointer = alarmTags.find((candidate) => candidate.key === ALARM_SERVICE_TAG)?.value;
    let movedFrom: string | null = null;
    if (pointer !== undefined && pointer !== label) {
      const before = parseSafe(pointer);
      const old = before === undefined ? undefined : await policies.describeServiceIfAny(ecs, before.cluster, before.service);
      if (old !== undefined) {
        await policies.untagService(ecs, old.serviceArn, [servicePolicyTagKey(alarm.AlarmArn)]);
        movedFrom = pointer;
      }
    }
    await alarms.tagAlarm(alarm.AlarmArn, [{ key: ALARM_SERVICE_TAG, value: label }]);
    const legacy = alarmTags.map((candidate) => candidate.key).filter((key) => (LEGACY_ALARM_POLICY_KEYS as readonly string[]).includes(key));
    await alarms.untagAlarm(alarm.AlarmArn, legacy);
    const actions = alarm.AlarmActions ?? [];
    const added = !actions.includes(topicArn);
    const alarmActions = withAction(actions, topicArn);
    if (added) await alarms.setAlarmActions(alarm, alarmActions);

    const replaced = previous.kind === 'policy' ? policyJson(previous.policy) : null;
    const lines = [
      `${replaced === null ? 'Put' : 'Replaced'} the scaling policy for alarm ${alarmName} on service ${label}'s tags: ${describePolicy(policy)}`,
      ...(replaced === null ? [] : [`  (was ${replaced.adjust} within ${replaced.min}..${replaced.max}, cooldown ${replaced.cooldown} s)`]),
      ...(movedFrom === null ? [] : [`  The alarm drove ${movedFrom} before; its policy there was removed.`]),
      added ? `  The alarm now notifies ${topicName}${otherActions(actions.length, 'as well as')}.` : `  The alarm already notifies ${topicName}.`,
      ...(alarm.ActionsEnabled === false
        ? [`! Actions are disabled on alarm ${alarmName}: it will not notify anything until they are enabled.`]
        : []),
    ];
    write(
      io,
      json,
      {
        kind: 'scale-policy',
        action: 'put',
        alarm: alarmName,
        alarmArn: alarm.AlarmArn,
        state: alarm.StateValue ?? null,
        policy: policyJson(policy),
        replaced,
        location: { kind: 'service-tags', service: label, serviceArn: service.serviceArn, tagKey: tag.key },
        movedFrom,
        topicArn,
        topicAdded: added,
        alarmActions,
      },
      lines,
    );
    return 0;
  } finally {
    client.destroy();
    alarms.destroy();
  }
}

function parseSafe(spec: string): { cluster: string; service: string } | undefined {
  try {
    return parseServiceSpec(spec);
  } catch {
    return undefined;
  }
}

/** `scale policy remove`: the policy leaves the service's tags; the topic leaves the alarm's actions (the others stay). */
export async function runPolicyRemove(spec: string, raw: RawScalePolicyOptions, io: CliIo): Promise<number> {
  const { cluster, service } = parseServiceSpec(spec);
  const label = `${cluster}/${service}`;
  const alarmName = alarmNameOf(raw);
  const topicName = alarmTopicName(installNameOf(raw));
  const json = raw.json === true;
  const aws = awsOf(raw, io);

  const { CloudWatchAlarms, createEcsClient, SdkEcs, policies } = await loadAws();
  const client = createEcsClient(aws);
  const alarms = new CloudWatchAlarms(aws);
  try {
    const ecs = new SdkEcs(client);
    const alarm = await requireAlarm(alarms, alarmName);
    const alarmTags = await alarms.alarmTags(alarm.AlarmArn);
    const pointer = alarmTags.find((tag) => tag.key === ALARM_SERVICE_TAG)?.value;
    const found = await policies.describeServiceIfAny(ecs, cluster, service);
    const key = servicePolicyTagKey(alarm.AlarmArn);
    const onService = found === undefined ? false : (await policies.serviceTags(ecs, found.serviceArn)).some((tag) => tag.key === key);
    if (pointer !== undefined && pointer !== label && !onService) {
      throw new UsageError(`alarm ${alarmName} carries the policy for ${pointer}, not ${label}; nothing was changed`);
    }
    if (found !== undefined && onService) await policies.untagService(ecs, found.serviceArn, [key]);
    // The alarm's side goes only when it points here (or nowhere): another service's policy stays reached.
    const ours = pointer === undefined || pointer === label;
    const topic = ours ? topicActions(alarm.AlarmActions ?? [], topicName) : [];
    const actions = alarm.AlarmActions ?? [];
    const remaining = topic.reduce((left, arn) => withoutAction(left, arn), actions);
    if (topic.length > 0) await alarms.setAlarmActions(alarm, remaining);
    const alarmKeys: readonly string[] = ours ? [ALARM_SERVICE_TAG, ...LEGACY_ALARM_POLICY_KEYS] : [...LEGACY_ALARM_POLICY_KEYS];
    await alarms.untagAlarm(
      alarm.AlarmArn,
      alarmTags.map((tag) => tag.key).filter((tagKey) => alarmKeys.includes(tagKey)),
    );

    const hadPolicy = onService || alarmTags.some((tag) => (LEGACY_ALARM_POLICY_KEYS as readonly string[]).includes(tag.key));
    const note = hadPolicy ? null : `service ${label} held no scaling policy for alarm ${alarmName}`;
    const lines = [
      hadPolicy ? `Removed the scaling policy for alarm ${alarmName} from service ${label}.` : `Nothing to remove: ${note}.`,
      ...(topic.length > 0
        ? [
            `  The alarm no longer notifies ${topicName}${remaining.length === 0 ? '; it has no other action' : `; ${otherActions(remaining.length, '').trim()} stay${remaining.length === 1 ? 's' : ''}`}.`,
          ]
        : []),
    ];
    write(
      io,
      json,
      {
        kind: 'scale-policy',
        action: 'remove',
        alarm: alarmName,
        service: label,
        removed: hadPolicy,
        topicRemoved: topic.length > 0,
        alarmActions: remaining,
        note,
      },
      lines,
    );
    return 0;
  } finally {
    client.destroy();
    alarms.destroy();
  }
}
