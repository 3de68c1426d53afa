// CloudWatch alarms and ECS services with their tags, in memory, for the `scale policy` commands' unit tests
// (re-exported by test/fakes.ts with the other shared doubles).
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { ScalePolicyPorts } from '../src/app/scale-policy.js';
import { UsageError } from '../src/core/errors.js';
import { DESCRIBE_SERVICES_MAX_NAMES } from '../src/core/limits.js';
import type { ServiceSnapshot, Tag } from '../src/core/model.js';

/** An SDK error as the client throws it: matched by name (src/aws/errors.ts isAwsError). */
export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}

/**
 * TEST DOUBLE. CloudWatch alarms and ECS services with their tags, in memory, at the `scale policy` commands' ports
 * (src/app/scale-policy.ts), because these unit tests check the commands' own decisions; the sandbox tests cover
 * the real APIs. Every write lands in these maps, so a test reads the outcome back. `failTags` stands in for
 * ListTagsForResource refusing an alarm, which the sandbox cannot make happen (moto answers an unknown ARN's tags
 * with none): e.g. AWS's ResourceNotFound for an alarm deleted after DescribeAlarms listed it.
 */
export class FakePolicyAws {
  readonly alarms: MetricAlarm[] = [];
  readonly alarmTags = new Map<string, Tag[]>();
  readonly serviceTags = new Map<string, Tag[]>();
  readonly topics = new Map<string, string>();
  /** Alarm ARN → the error ListTagsForResource answers for it. */
  readonly failTags = new Map<string, Error>();
  /** The most ListTagsForResource calls on alarms that were in flight at once. */
  mostAlarmTagReads = 0;
  private alarmTagReads = 0;

  constructor(readonly services: ServiceSnapshot[] = []) {
    for (const service of services) this.serviceTags.set(service.serviceArn, []);
  }

  readonly ports: ScalePolicyPorts = {
    alarms: {
      describeAlarm: async (name) => this.alarms.find((alarm) => alarm.AlarmName === name),
      listAlarms: async () => [...this.alarms],
      findTopicArn: async (name) => this.topics.get(name),
      alarmTags: async (arn) => {
        this.alarmTagReads += 1;
        this.mostAlarmTagReads = Math.max(this.mostAlarmTagReads, this.alarmTagReads);
        // A turn of the event loop, so that concurrent reads overlap as network calls would.
        await new Promise((resolve) => setImmediate(resolve));
        this.alarmTagReads -= 1;
        const failure = this.failTags.get(arn);
        if (failure !== undefined) throw failure;
        return this.alarmTags.get(arn) ?? [];
      },
      setAlarmActions: async (alarm, actions) => {
        alarm.AlarmActions = [...actions];
      },
      tagAlarm: async (arn, tags) => {
        this.alarmTags.set(arn, merged(this.alarmTags.get(arn) ?? [], tags));
      },
      untagAlarm: async (arn, keys) => {
        this.alarmTags.set(
          arn,
          (this.alarmTags.get(arn) ?? []).filter((tag) => !keys.includes(tag.key)),
        );
      },
    },
    services: {
      findService: async (name, cluster) => {
        const found = this.services.find((service) => service.serviceName === name && (cluster === undefined || service.clusterName === cluster));
        if (found === undefined) throw new UsageError(`no service ${name}`);
        return found;
      },
      describeServiceIfAny: async (cluster, name) => this.services.find((service) => service.serviceName === name && service.clusterName === cluster),
      serviceTags: async (arn) => this.serviceTags.get(arn) ?? [],
      tagService: async (arn, tags) => {
        this.serviceTags.set(arn, merged(this.serviceTags.get(arn) ?? [], tags));
      },
      untagService: async (arn, keys) => {
        this.serviceTags.set(
          arn,
          (this.serviceTags.get(arn) ?? []).filter((tag) => !keys.includes(tag.key)),
        );
      },
      listClusterArns: async () => [...new Set(this.services.map((service) => service.clusterArn))],
      listServiceArns: async (cluster) => this.services.filter((service) => service.clusterArn === cluster).map((service) => service.serviceArn),
      describeServices: async (cluster, names) => {
        if (names.length > DESCRIBE_SERVICES_MAX_NAMES) throw new RangeError('DescribeServices takes at most 10 services');
        return this.services.filter(
          (service) => service.clusterArn === cluster && (names.includes(service.serviceArn) || names.includes(service.serviceName)),
        );
      },
    },
  };

  /** An alarm as DescribeAlarms answers it, with these tags. */
  addAlarm(alarm: MetricAlarm & { AlarmArn: string }, tags: Tag[] = []): MetricAlarm {
    this.alarms.push(alarm);
    this.alarmTags.set(alarm.AlarmArn, tags);
    return alarm;
  }
}

/** TagResource: new keys are added, existing keys take the new value. */
function merged(existing: readonly Tag[], adding: readonly Tag[]): Tag[] {
  return [...existing.filter((tag) => !adding.some((added) => added.key === tag.key)), ...adding];
}
