/**
 * `scale policy list`: every policy on a service's tags in the region, with the alarm it names and that alarm's
 * state, and any policy an older install left in an alarm's tags (the next `install` moves those to the service).
 * It only reads, through the ports it is given (src/cli/commands/scale-policy-ports.ts wires the SDK), and answers
 * plain rows; the command renders them.
 */
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { isAwsError } from '../aws/errors.js';
import type { AlarmPolicy } from '../core/alarm.js';
import { isShortServiceArn } from '../core/arn.js';
import { chunk, mapConcurrent } from '../core/collections.js';
import { MissingClusterError } from '../core/errors.js';
import { DESCRIBE_SERVICES_MAX_NAMES } from '../core/limits.js';
import type { ServiceSnapshot, Tag } from '../core/model.js';
import { ALARM_SERVICE_TAG, legacyAlarmPolicy, type ServicePolicyRead, servicePolicies, servicePolicyTagKey } from '../core/scale-policy.js';
import type { PolicyAlarmsPort, PolicyServicesPort } from './scale-policy.js';

/** ListTagsForResource calls in flight at once while listing: CloudWatch's tagging API is throttled low. */
const LIST_TAGS_CONCURRENCY = 4;
/** ECS reads (ListServices, DescribeServices, ListTagsForResource) in flight at once while listing. */
const ECS_READ_CONCURRENCY = 4;

export interface ScalePolicyListPorts {
  readonly alarms: Pick<PolicyAlarmsPort, 'listAlarms' | 'alarmTags'>;
  readonly services: Pick<PolicyServicesPort, 'listClusterArns' | 'listServiceArns' | 'describeServices' | 'serviceTags'>;
}

export type PolicyLocation = { readonly kind: 'service-tags'; readonly service: string; readonly tagKey: string } | { readonly kind: 'alarm-tags' };

export interface ScalePolicyRow {
  /** The alarm's name; for a tag whose alarm is gone, the name the tag wrote (`?` when the tag does not parse). */
  readonly alarm: string;
  readonly alarmArn: string | null;
  readonly state: string | null;
  readonly actionsEnabled: boolean;
  readonly alarmActions: readonly string[];
  readonly policy: AlarmPolicy | null;
  /** Why the policy does not parse, or null. */
  readonly invalid: string | null;
  readonly location: PolicyLocation;
  /** Why the worker would not reach this policy, or null. */
  readonly unreached: string | null;
}

export interface ScalePolicyList {
  readonly alarmsExamined: number;
  readonly servicesExamined: number;
  /** By alarm name; for one alarm, an older install's policy (alarm-tags) before the service's. */
  readonly rows: readonly ScalePolicyRow[];
}

export interface ServiceWithPolicies {
  readonly service: ServiceSnapshot;
  readonly policies: readonly ServicePolicyRead[];
}

const LEGACY_UNREACHED = "an older install kept it in the alarm's tags, which the worker no longer reads; `ecs-roll install` moves it to the service";
const MISSING_ALARM_UNREACHED = 'no alarm in this region has the ARN this tag names';

/** Every ACTIVE service of every cluster in the region whose tags hold at least one scaling policy. */
export async function servicesWithPolicies(
  ecs: ScalePolicyListPorts['services'],
): Promise<{ servicesExamined: number; found: ServiceWithPolicies[] }> {
  const clusters = await ecs.listClusterArns();
  const services = (
    await mapConcurrent(clusters, ECS_READ_CONCURRENCY, async (cluster) => {
      // A cluster deleted since ListClusters named it (DeleteCluster leaves it listed a while) has no services.
      const arns = await ecs.listServiceArns(cluster).catch((error: unknown) => {
        if (error instanceof MissingClusterError) return [];
        throw error;
      });
      const pages = await mapConcurrent(chunk(arns, DESCRIBE_SERVICES_MAX_NAMES), ECS_READ_CONCURRENCY, (names) =>
        ecs.describeServices(cluster, names),
      );
      return pages.flat().filter((service) => service.status !== 'INACTIVE');
    })
  ).flat();
  // A service with a pre-2021 short ARN cannot be tagged, so it holds no policy: its tags are not read (ECS
  // answers its tagging calls with InvalidParameterException).
  const read = await mapConcurrent(services, ECS_READ_CONCURRENCY, async (service) => ({
    service,
    policies: isShortServiceArn(service.serviceArn)
      ? []
      : servicePolicies(await ecs.serviceTags(service.serviceArn), { cluster: service.clusterName, service: service.serviceName }),
  }));
  return { servicesExamined: services.length, found: read.filter((entry) => entry.policies.length > 0) };
}

/**
 * Each alarm with its tags. An alarm deleted between DescribeAlarms and ListTagsForResource has none: the API
 * reference names that error ResourceNotFound, the SDK also models ResourceNotFoundException.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListTagsForResource.html
 */
async function tagsOfAlarms(alarms: ScalePolicyListPorts['alarms'], all: readonly MetricAlarm[]): Promise<Map<MetricAlarm, readonly Tag[]>> {
  return new Map(
    await mapConcurrent(all, LIST_TAGS_CONCURRENCY, async (alarm): Promise<[MetricAlarm, readonly Tag[]]> => {
      if (alarm.AlarmArn === undefined) return [alarm, []];
      try {
        return [alarm, await alarms.alarmTags(alarm.AlarmArn)];
      } catch (error) {
        if (isAwsError(error, 'ResourceNotFound', 'ResourceNotFoundException')) return [alarm, []];
        throw error;
      }
    }),
  );
}

function alarmFields(
  alarm: MetricAlarm | undefined,
  fallbackName: string,
): Pick<ScalePolicyRow, 'alarm' | 'alarmArn' | 'state' | 'actionsEnabled' | 'alarmActions'> {
  return {
    alarm: alarm?.AlarmName ?? fallbackName,
    alarmArn: alarm?.AlarmArn ?? null,
    state: alarm?.StateValue ?? null,
    actionsEnabled: alarm?.ActionsEnabled !== false,
    alarmActions: alarm?.AlarmActions ?? [],
  };
}

/** `scale policy list`: every policy the worker could find, or that an older install left where it no longer looks. */
export async function listScalePolicies({ alarms, services }: ScalePolicyListPorts): Promise<ScalePolicyList> {
  const [all, withPolicies] = await Promise.all([alarms.listAlarms(), servicesWithPolicies(services)]);
  const alarmTags = await tagsOfAlarms(alarms, all);
  const byKey = new Map(all.flatMap((alarm) => (alarm.AlarmArn === undefined ? [] : [[servicePolicyTagKey(alarm.AlarmArn), alarm] as const])));
  const rows: ScalePolicyRow[] = [];
  for (const { service, policies } of withPolicies.found) {
    const label = `${service.clusterName}/${service.serviceName}`;
    for (const read of policies) {
      const key = read.kind === 'policy' ? read.entry.key : read.key;
      const alarm = byKey.get(key);
      const pointer = alarm === undefined ? undefined : alarmTags.get(alarm)?.find((tag) => tag.key === ALARM_SERVICE_TAG)?.value;
      rows.push({
        ...alarmFields(alarm, read.kind === 'policy' ? read.entry.alarmLabel : '?'),
        policy: read.kind === 'policy' ? read.entry.policy : null,
        invalid: read.kind === 'invalid' ? read.reason : null,
        location: { kind: 'service-tags', service: label, tagKey: key },
        unreached:
          alarm === undefined
            ? MISSING_ALARM_UNREACHED
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
      ...alarmFields(alarm, ''),
      policy: legacy.kind === 'policy' ? legacy.policy : null,
      invalid: legacy.kind === 'invalid' ? legacy.reason : null,
      location: { kind: 'alarm-tags' },
      unreached: LEGACY_UNREACHED,
    });
  }
  rows.sort((a, b) => (a.alarm < b.alarm ? -1 : a.alarm > b.alarm ? 1 : a.location.kind < b.location.kind ? -1 : 1));
  return { alarmsExamined: all.length, servicesExamined: withPolicies.servicesExamined, rows };
}
