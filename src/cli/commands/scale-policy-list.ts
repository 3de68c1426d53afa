/**
 * `scale policy list`: every policy on a service's tags in the region, with the alarm it names and
 * that alarm's state, and any policy an older install left in an alarm's tags (the next `install`
 * moves those to the service).
 */
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { mapConcurrent } from '../../core/collections.js';
import type { Tag } from '../../core/model.js';
import { ALARM_SERVICE_TAG, legacyAlarmPolicy, servicePolicyTagKey } from '../../core/scale-policy.js';
import type { RawScalePolicyOptions } from '../raw-options.js';
import type { CliIo } from '../render.js';
import { alignColumns, awsOf, policyJson, write } from './scale-policy-io.js';

/** ListTagsForResource calls in flight at once while listing: CloudWatch's tagging API is throttled low. */
const LIST_TAGS_CONCURRENCY = 4;

type Location = { kind: 'service-tags'; service: string; tagKey: string } | { kind: 'alarm-tags' };

interface Row {
  alarm: string;
  alarmArn: string | null;
  state: string | null;
  actionsEnabled: boolean;
  alarmActions: string[];
  policy: ReturnType<typeof policyJson> | null;
  invalid: string | null;
  location: Location;
  /** Why the worker would not reach this policy, or null. */
  unreached: string | null;
}

function alarmRow(
  alarm: MetricAlarm | undefined,
  fallbackName: string,
): Pick<Row, 'alarm' | 'alarmArn' | 'state' | 'actionsEnabled' | 'alarmActions'> {
  return {
    alarm: alarm?.AlarmName ?? fallbackName,
    alarmArn: alarm?.AlarmArn ?? null,
    state: alarm?.StateValue ?? null,
    actionsEnabled: alarm?.ActionsEnabled !== false,
    alarmActions: alarm?.AlarmActions ?? [],
  };
}

export async function runPolicyList(raw: RawScalePolicyOptions, io: CliIo): Promise<number> {
  const json = raw.json === true;
  const aws = awsOf(raw, io);
  const [{ CloudWatchAlarms }, { createEcsClient, SdkEcs }, { servicesWithPolicies }] = await Promise.all([
    import('../../aws/alarms.js'),
    import('../../aws/ecs.js'),
    import('../../aws/service-policies.js'),
  ]);
  const alarms = new CloudWatchAlarms(aws);
  const client = createEcsClient(aws);
  try {
    const [all, services] = await Promise.all([alarms.listAlarms(), servicesWithPolicies(new SdkEcs(client))]);
    const alarmTags = new Map(
      await mapConcurrent(all, LIST_TAGS_CONCURRENCY, async (alarm): Promise<[MetricAlarm, readonly Tag[]]> => {
        if (alarm.AlarmArn === undefined) return [alarm, []];
        try {
          return [alarm, await alarms.alarmTags(alarm.AlarmArn)];
        } catch (error) {
          // Deleted between DescribeAlarms and now.
          if (error instanceof Error && error.name === 'ResourceNotFoundException') return [alarm, []];
          throw error;
        }
      }),
    );
    const byKey = new Map(all.flatMap((alarm) => (alarm.AlarmArn === undefined ? [] : [[servicePolicyTagKey(alarm.AlarmArn), alarm] as const])));
    const rows: Row[] = [];
    for (const { service, policies } of services.found) {
      const label = `${service.clusterName}/${service.serviceName}`;
      for (const read of policies) {
        const key = read.kind === 'policy' ? read.entry.key : read.key;
        const alarm = byKey.get(key);
        const pointer = alarm === undefined ? undefined : alarmTags.get(alarm)?.find((tag) => tag.key === ALARM_SERVICE_TAG)?.value;
        rows.push({
          ...alarmRow(alarm, read.kind === 'policy' ? read.entry.alarmLabel : '?'),
          policy: read.kind === 'policy' ? policyJson(read.entry.policy) : null,
          invalid: read.kind === 'invalid' ? read.reason : null,
          location: { kind: 'service-tags', service: label, tagKey: key },
          unreached:
            alarm === undefined
              ? 'no alarm in this region has the ARN this tag names'
              : pointer !== label
                ? `the alarm's ${ALARM_SERVICE_TAG} tag names ${pointer ?? 'no service'}`
                : null,
        });
      }
    }
    for (const [alarm, tags] of alarmTags) {
      const legacy = legacyAlarmPolicy(tags);
      if (legacy.kind === 'none') continue;
      rows.push({
        ...alarmRow(alarm, ''),
        policy: legacy.kind === 'policy' ? policyJson(legacy.policy) : null,
        invalid: legacy.kind === 'invalid' ? legacy.reason : null,
        location: { kind: 'alarm-tags' },
        unreached: "an older install kept it in the alarm's tags, which the worker no longer reads; `ecs-roll install` moves it to the service",
      });
    }
    rows.sort((a, b) => (a.alarm < b.alarm ? -1 : a.alarm > b.alarm ? 1 : a.location.kind < b.location.kind ? -1 : 1));

    const where = (row: Row) => (row.location.kind === 'service-tags' ? `service tags` : 'alarm tags (old)');
    const lines =
      rows.length === 0
        ? ['No service carries an ecs-roll scaling policy.']
        : alignColumns([
            ['ALARM', 'STATE', 'SERVICE', 'ADJUST', 'MIN..MAX', 'COOLDOWN', 'WHERE', ''],
            ...rows.map((row) => {
              const service = row.location.kind === 'service-tags' ? row.location.service : (row.policy?.service ?? '-');
              const notes = [
                row.invalid === null ? '' : `invalid policy: ${row.invalid}`,
                row.unreached ?? '',
                row.actionsEnabled ? '' : '(actions disabled)',
              ].filter((note) => note !== '');
              return row.policy === null
                ? [row.alarm, row.state ?? '?', service, '-', '-', '-', where(row), notes.join('; ')]
                : [
                    row.alarm,
                    row.state ?? '?',
                    service,
                    row.policy.adjust,
                    `${row.policy.min}..${row.policy.max}`,
                    `${row.policy.cooldown} s`,
                    where(row),
                    notes.join('; '),
                  ];
            }),
          ]);
    write(io, json, { kind: 'scale-policies', alarmsExamined: all.length, servicesExamined: services.servicesExamined, policies: rows }, lines);
    return 0;
  } finally {
    alarms.destroy();
    client.destroy();
  }
}
