/**
 * `scale policy put` and `remove` at the terminal: flags in, the SDK wired into the command's ports
 * (src/app/scale-policy.ts does the work; scale-policy-ports.ts wires it), lines or a JSON document out.
 */
import { alarmTopicName, parsePolicyInput, parseServiceSpec, policyServiceLabel } from '../../core/alarm.js';
import { UsageError } from '../../core/errors.js';
import type { RawScalePolicyOptions } from '../raw-options.js';
import type { CliIo } from '../render.js';
import { alarmNameOf, awsOf, describePolicy, installNameOf, otherActions, policyJson, write } from './scale-policy-io.js';
import { withPorts } from './scale-policy-ports.js';

export { runPolicyList } from './scale-policy-list.js';

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
  const label = policyServiceLabel(policy);
  const put = await withPorts(
    awsOf(raw, io),
    () => import('../../app/scale-policy.js'),
    (app, ports) => app.putScalePolicy({ policy, alarmName, topicName }, ports),
  );

  const replaced = put.replaced === undefined ? null : policyJson(put.replaced);
  const lines = [
    `${replaced === null ? 'Put' : 'Replaced'} the scaling policy for alarm ${alarmName} on service ${label}'s tags: ${describePolicy(policy)}`,
    ...(replaced === null ? [] : [`  (was ${replaced.adjust} within ${replaced.min}..${replaced.max}, cooldown ${replaced.cooldown} s)`]),
    ...(put.movedFrom === undefined ? [] : [`  The alarm drove ${put.movedFrom} before; its policy there was removed.`]),
    put.topicAdded
      ? `  The alarm now notifies ${topicName}${otherActions(put.previousActions.length, 'as well as')}.`
      : `  The alarm already notifies ${topicName}.`,
    ...(put.alarm.ActionsEnabled === false
      ? [`! Actions are disabled on alarm ${alarmName}: it will not notify anything until they are enabled.`]
      : []),
  ];
  write(
    io,
    raw.json === true,
    {
      kind: 'scale-policy',
      action: 'put',
      alarm: alarmName,
      alarmArn: put.alarm.AlarmArn,
      state: put.alarm.StateValue ?? null,
      policy: policyJson(policy),
      replaced,
      location: { kind: 'service-tags', service: label, serviceArn: put.service.serviceArn, tagKey: put.tagKey },
      movedFrom: put.movedFrom ?? null,
      topicArn: put.topicArn,
      topicAdded: put.topicAdded,
      alarmActions: put.alarmActions,
    },
    lines,
  );
  return 0;
}

/** `scale policy remove`: the policy leaves the service's tags; the topic leaves the alarm's actions (the others stay). */
export async function runPolicyRemove(spec: string, raw: RawScalePolicyOptions, io: CliIo): Promise<number> {
  const { cluster, service } = parseServiceSpec(spec);
  const label = `${cluster}/${service}`;
  const alarmName = alarmNameOf(raw);
  const topicName = alarmTopicName(installNameOf(raw));
  const removed = await withPorts(
    awsOf(raw, io),
    () => import('../../app/scale-policy.js'),
    (app, ports) => app.removeScalePolicy({ cluster, service, alarmName, topicName }, ports),
  );
  const remaining = removed.alarmActions;
  const note = removed.hadPolicy ? null : `service ${label} held no scaling policy for alarm ${alarmName}`;
  const lines = [
    removed.hadPolicy ? `Removed the scaling policy for alarm ${alarmName} from service ${label}.` : `Nothing to remove: ${note}.`,
    ...(removed.topicRemoved.length > 0
      ? [
          `  The alarm no longer notifies ${topicName}${remaining.length === 0 ? '; it has no other action' : `; ${otherActions(remaining.length, '').trim()} stay${remaining.length === 1 ? 's' : ''}`}.`,
        ]
      : []),
  ];
  write(
    io,
    raw.json === true,
    {
      kind: 'scale-policy',
      action: 'remove',
      alarm: alarmName,
      service: label,
      removed: removed.hadPolicy,
      topicRemoved: removed.topicRemoved.length > 0,
      alarmActions: remaining,
      note,
    },
    lines,
  );
  return 0;
}
