import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import {
  alarmTopicName,
  parsePolicyInput,
  parseServiceSpec,
  policyFromTags,
  policyServiceLabel,
  policyTags,
  POLICY_TAG_KEYS,
  withAction,
  withoutAction,
  type AlarmPolicy,
} from '../../core/alarm.js';
import { mapConcurrent } from '../../core/collections.js';
import { OperationFailedError, UsageError } from '../../core/errors.js';
import { INSTALL_NAME_PATTERN } from '../../core/install-plan.js';
import { formatAdjustment } from '../../core/scale.js';
import type { AwsConfig } from '../../aws/config.js';
import { awsConfigFrom } from '../options.js';
import type { CliIo } from '../render.js';

/** ListTagsForResource calls in flight at once while listing: CloudWatch's tagging API is throttled low. */
const LIST_TAGS_CONCURRENCY = 4;
const ALARM_NAME_MAX = 255;

interface RawAws {
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

function str(raw: Record<string, unknown>, key: string): string | undefined {
  const value = raw[key];
  return typeof value === 'string' ? value : undefined;
}

function awsOf(raw: Record<string, unknown>, io: CliIo): AwsConfig {
  const aws: RawAws = {};
  for (const key of ['region', 'profile', 'endpointUrl'] as const) {
    const value = str(raw, key);
    if (value !== undefined) aws[key] = value;
  }
  return awsConfigFrom(aws, io.env);
}

function alarmNameOf(raw: Record<string, unknown>): string {
  const name = str(raw, 'alarm') ?? '';
  if (name.trim() === '' || name.length > ALARM_NAME_MAX) {
    throw new UsageError(`--alarm must be an alarm name of 1 to ${ALARM_NAME_MAX} characters, got ${JSON.stringify(name)}`);
  }
  return name;
}

function installNameOf(raw: Record<string, unknown>): string {
  const name = str(raw, 'name') ?? 'ecs-roll';
  if (!INSTALL_NAME_PATTERN.test(name)) {
    throw new UsageError(`--name must be 1 to 40 letters, digits, - or _, got ${JSON.stringify(name)}`);
  }
  return name;
}

function describePolicy(policy: AlarmPolicy): string {
  return `${policyServiceLabel(policy)} ${formatAdjustment(policy.adjustment)} within ${policy.min}..${policy.max}, cooldown ${policy.cooldownSeconds} s`;
}

function policyJson(policy: AlarmPolicy) {
  return {
    service: policyServiceLabel(policy),
    adjust: formatAdjustment(policy.adjustment),
    min: policy.min,
    max: policy.max,
    cooldown: policy.cooldownSeconds,
  };
}

/** Version of the `scale-policy` and `scale-policies` documents. */
const DOCUMENT_VERSION = 1;

function write(io: CliIo, json: boolean, document: Record<string, unknown>, lines: readonly string[]): void {
  if (json) io.stdout.write(`${JSON.stringify({ kind: document['kind'], version: DOCUMENT_VERSION, ...document }, null, 2)}\n`);
  else io.stdout.write(lines.map((line) => `${line}\n`).join(''));
}

/** "as well as its 2 other actions", "" for none: no "0 other action(s)". */
function otherActions(count: number, lead: string): string {
  if (count === 0) return '';
  return ` ${lead} its ${count === 1 ? 'other action' : `${count} other actions`}`;
}

/** Columns padded to their widest cell, so a list of policies reads as a table. */
export function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd());
}

/** The SNS actions of an alarm that point at a topic called `topicName`, whichever account or region wrote them. */
function topicActions(actions: readonly string[], topicName: string): string[] {
  return actions.filter((action) => action.startsWith('arn:') && action.split(':')[2] === 'sns' && action.slice(action.lastIndexOf(':') + 1) === topicName);
}

async function loadAws() {
  const [{ CloudWatchAlarms }, { createEcsClient, SdkEcs }, { findService }] = await Promise.all([
    import('../../aws/alarms.js'),
    import('../../aws/ecs.js'),
    import('../../aws/service-lookup.js'),
  ]);
  return { CloudWatchAlarms, createEcsClient, SdkEcs, findService };
}

async function requireAlarm(alarms: { describeAlarm(name: string): Promise<MetricAlarm | undefined> }, name: string): Promise<MetricAlarm & { AlarmArn: string }> {
  const alarm = await alarms.describeAlarm(name);
  if (alarm === undefined) throw new UsageError(`no metric alarm named ${JSON.stringify(name)} in this region; create the alarm first`);
  if (alarm.AlarmArn === undefined) throw new OperationFailedError(`DescribeAlarms answered ${name} without its ARN`);
  return alarm as MetricAlarm & { AlarmArn: string };
}

/** `scale policy put`: the alarm notifies the install's topic, and its tags say what the worker does. */
export async function runPolicyPut(spec: string, raw: Record<string, unknown>, io: CliIo): Promise<number> {
  const required = (key: string, flag: string): string => {
    const value = str(raw, key);
    if (value === undefined) throw new UsageError(`${flag} is required`);
    return value;
  };
  const policy = parsePolicyInput({
    service: spec,
    adjust: required('adjust', '--adjust <+n|-n|=n|+n%|-n%>'),
    min: required('min', '--min <n>'),
    max: required('max', '--max <n>'),
    ...(str(raw, 'cooldown') === undefined ? {} : { cooldown: str(raw, 'cooldown') as string }),
  });
  const alarmName = alarmNameOf(raw);
  const topicName = alarmTopicName(installNameOf(raw));
  const json = raw.json === true;
  const aws = awsOf(raw, io);

  const { CloudWatchAlarms, createEcsClient, SdkEcs, findService } = await loadAws();
  const client = createEcsClient(aws);
  const alarms = new CloudWatchAlarms(aws);
  try {
    const service = await findService(new SdkEcs(client), policy.service, policy.cluster);
    if (service.schedulingStrategy === 'DAEMON') {
      throw new UsageError(`${policyServiceLabel(policy)} is a DAEMON service: it runs one task per instance and has no desired count to scale`);
    }
    const alarm = await requireAlarm(alarms, alarmName);
    const topicArn = await alarms.findTopicArn(topicName);
    if (topicArn === undefined) {
      throw new OperationFailedError(`no SNS topic named ${topicName} in this region: run \`ecs-roll install\` first (or pass the install's --name)`);
    }

    const previous = policyFromTags(await alarms.alarmTags(alarm.AlarmArn));
    // Tags first: once the alarm notifies the topic, the worker must find the policy.
    await alarms.tagAlarm(alarm.AlarmArn, policyTags(policy));
    const actions = alarm.AlarmActions ?? [];
    const added = !actions.includes(topicArn);
    const alarmActions = withAction(actions, topicArn);
    if (added) await alarms.setAlarmActions(alarm, alarmActions);

    const replaced = previous.kind === 'policy' ? policyJson(previous.policy) : null;
    const lines = [
      `${replaced === null ? 'Put' : 'Replaced'} the scaling policy on alarm ${alarmName}: ${describePolicy(policy)}`,
      ...(replaced === null ? [] : [`  (was ${replaced.service} ${replaced.adjust} within ${replaced.min}..${replaced.max}, cooldown ${replaced.cooldown} s)`]),
      added ? `  The alarm now notifies ${topicName}${otherActions(actions.length, 'as well as')}.` : `  The alarm already notifies ${topicName}.`,
      ...(alarm.ActionsEnabled === false ? [`! Actions are disabled on alarm ${alarmName}: it will not notify anything until they are enabled.`] : []),
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

/** `scale policy list`: every alarm whose tags carry a policy, with its state. */
export async function runPolicyList(raw: Record<string, unknown>, io: CliIo): Promise<number> {
  const json = raw.json === true;
  const aws = awsOf(raw, io);
  const { CloudWatchAlarms } = await import('../../aws/alarms.js');
  const alarms = new CloudWatchAlarms(aws);
  try {
    const all = await alarms.listAlarms();
    const read = await mapConcurrent(all, LIST_TAGS_CONCURRENCY, async (alarm) => {
      if (alarm.AlarmArn === undefined) return { alarm, found: { kind: 'none' } as const };
      try {
        return { alarm, found: policyFromTags(await alarms.alarmTags(alarm.AlarmArn)) };
      } catch (error) {
        // Deleted between DescribeAlarms and now: it carries no policy any more.
        if (error instanceof Error && error.name === 'ResourceNotFoundException') return { alarm, found: { kind: 'none' } as const };
        throw error;
      }
    });
    const rows = read
      .filter((entry) => entry.found.kind !== 'none')
      .map(({ alarm, found }) => ({
        alarm: alarm.AlarmName ?? '',
        alarmArn: alarm.AlarmArn ?? '',
        state: alarm.StateValue ?? null,
        actionsEnabled: alarm.ActionsEnabled !== false,
        alarmActions: alarm.AlarmActions ?? [],
        ...(found.kind === 'policy' ? { policy: policyJson(found.policy) as ReturnType<typeof policyJson> | null, invalid: null } : { policy: null, invalid: found.kind === 'invalid' ? found.reason : null }),
      }))
      .sort((a, b) => (a.alarm < b.alarm ? -1 : a.alarm > b.alarm ? 1 : 0));

    const lines =
      rows.length === 0
        ? ['No alarm carries an ecs-roll scaling policy.']
        : alignColumns([
            ['ALARM', 'STATE', 'SERVICE', 'ADJUST', 'MIN..MAX', 'COOLDOWN', ''],
            ...rows.map((row) =>
              row.policy === null
                ? [row.alarm, row.state ?? '?', '-', '-', '-', '-', `invalid policy: ${row.invalid}`]
                : [
                    row.alarm,
                    row.state ?? '?',
                    row.policy.service,
                    row.policy.adjust,
                    `${row.policy.min}..${row.policy.max}`,
                    `${row.policy.cooldown} s`,
                    row.actionsEnabled ? '' : '(actions disabled)',
                  ],
            ),
          ]);
    write(io, json, { kind: 'scale-policies', alarmsExamined: all.length, policies: rows }, lines);
    return 0;
  } finally {
    alarms.destroy();
  }
}

/** `scale policy remove`: the topic leaves the alarm's actions (the others stay) and the policy tags go. */
export async function runPolicyRemove(spec: string, raw: Record<string, unknown>, io: CliIo): Promise<number> {
  const { cluster, service } = parseServiceSpec(spec);
  const label = `${cluster}/${service}`;
  const alarmName = alarmNameOf(raw);
  const topicName = alarmTopicName(installNameOf(raw));
  const json = raw.json === true;
  const aws = awsOf(raw, io);

  const { CloudWatchAlarms } = await import('../../aws/alarms.js');
  const alarms = new CloudWatchAlarms(aws);
  try {
    const alarm = await requireAlarm(alarms, alarmName);
    const tags = await alarms.alarmTags(alarm.AlarmArn);
    const found = policyFromTags(tags);
    if (found.kind === 'policy' && policyServiceLabel(found.policy) !== label) {
      throw new UsageError(`alarm ${alarmName} carries the policy for ${policyServiceLabel(found.policy)}, not ${label}; nothing was changed`);
    }
    const actions = alarm.AlarmActions ?? [];
    // Matched by name on the alarm itself, so this works even after the topic was deleted.
    const ours = topicActions(actions, topicName);
    const remaining = ours.reduce((left, arn) => withoutAction(left, arn), actions);
    if (ours.length > 0) await alarms.setAlarmActions(alarm, remaining);
    const present = tags.map((tag) => tag.key).filter((key) => POLICY_TAG_KEYS.includes(key));
    await alarms.untagAlarm(alarm.AlarmArn, present);

    const hadPolicy = found.kind !== 'none';
    const note = hadPolicy ? null : `alarm ${alarmName} carried no ecs-roll scaling policy`;
    const lines = [
      hadPolicy ? `Removed the scaling policy for ${label} from alarm ${alarmName}.` : `Nothing to remove: ${note}.`,
      ...(ours.length > 0
        ? [`  The alarm no longer notifies ${topicName}${remaining.length === 0 ? '; it has no other action' : `; ${otherActions(remaining.length, '').trim()} stay${remaining.length === 1 ? 's' : ''}`}.`]
        : []),
    ];
    write(
      io,
      json,
      { kind: 'scale-policy', action: 'remove', alarm: alarmName, service: label, removed: hadPolicy, topicRemoved: ours.length > 0, alarmActions: remaining, note },
      lines,
    );
    return 0;
  } finally {
    alarms.destroy();
  }
}
