/**
 * `install`'s move of scaling policies that older installs kept in alarms' tags (which anyone allowed
 * to tag alarms could write) to the tags of the services they scale (src/core/scale-policy.ts).
 * Only alarms that notify this install's topic or invoke its worker are looked at. A policy whose
 * service is gone, or whose service has no room for one more tag, stays where it is and is reported.
 */
import { policyServiceLabel } from '../core/alarm.js';
import { isShortServiceArn } from '../core/arn.js';
import { mapConcurrent } from '../core/collections.js';
import { formatAdjustment } from '../core/scale.js';
import { ALARM_SERVICE_TAG, LEGACY_ALARM_POLICY_KEYS, legacyAlarmPolicy, servicePolicyTag, tagLimitProblem } from '../core/scale-policy.js';
import { CloudWatchAlarms } from './alarms.js';
import type { AwsConfig } from './config.js';
import { createEcsClient, SdkEcs } from './ecs.js';
import { describeServiceIfAny, serviceTags, tagService } from './service-policies.js';

/** Alarms read at once: CloudWatch's tagging API is throttled low. */
const CONCURRENCY = 4;

export interface PolicyMove {
  readonly alarm: string;
  readonly service: string;
  readonly status: 'moved' | 'would move' | 'not moved';
  readonly reason?: string;
  /** One line for install's report. */
  readonly description: string;
}

export interface PolicyMoveRequest {
  readonly aws: AwsConfig;
  /** The alarm topic's and the worker's ARNs: alarms with either among their actions are this install's. */
  readonly actionArns: readonly string[];
  readonly dryRun: boolean;
}

export async function movePoliciesToServices(request: PolicyMoveRequest): Promise<PolicyMove[]> {
  const alarms = new CloudWatchAlarms(request.aws);
  const client = createEcsClient(request.aws);
  const ecs = new SdkEcs(client);
  try {
    const ours = (await alarms.listAlarms()).filter(
      (alarm) => alarm.AlarmArn !== undefined && (alarm.AlarmActions ?? []).some((action) => request.actionArns.includes(action)),
    );
    const moves = await mapConcurrent(ours, CONCURRENCY, async (alarm): Promise<PolicyMove | undefined> => {
      const arn = alarm.AlarmArn as string;
      const name = alarm.AlarmName ?? arn;
      // An alarm deleted since ListAlarms has no policy left to move.
      const tags = await alarms.alarmTagsIfAny(arn);
      if (tags === undefined) return undefined;
      const legacy = legacyAlarmPolicy(tags);
      if (legacy.kind === 'none') return undefined;
      const service = tags.find((tag) => tag.key === ALARM_SERVICE_TAG)?.value ?? '?';
      const notMoved = (reason: string): PolicyMove => ({
        alarm: name,
        service,
        status: 'not moved',
        reason,
        description: `leave the scaling policy in alarm ${name}'s tags: ${reason} (the worker does not act on it)`,
      });
      if (legacy.kind === 'invalid') return notMoved(legacy.reason);
      const { policy } = legacy;
      const found = await describeServiceIfAny(ecs, policy.cluster, policy.service);
      if (found === undefined) return notMoved(`service ${policyServiceLabel(policy)} does not exist`);
      // ECS refuses to tag a service that still has a pre-2021 short ARN: moving would fail the whole install.
      if (isShortServiceArn(found.serviceArn)) {
        return notMoved(
          `service ${policyServiceLabel(policy)} has a pre-2021 short ARN, which ECS does not tag; migrate it to the long ARN and install again`,
        );
      }
      const tag = servicePolicyTag(policy, { arn, name });
      const problem = tagLimitProblem(await serviceTags(ecs, found.serviceArn), [tag]);
      if (problem !== undefined) return notMoved(problem);
      const what = `${formatAdjustment(policy.adjustment)} within ${policy.min}..${policy.max}, cooldown ${policy.cooldownSeconds} s`;
      if (request.dryRun) {
        return {
          alarm: name,
          service,
          status: 'would move',
          description: `move the scaling policy of alarm ${name} (${what}) from the alarm's tags to service ${service}'s tags`,
        };
      }
      // The service first, so that no moment passes with the policy in neither place.
      await tagService(ecs, found.serviceArn, [tag]);
      const legacyKeys: readonly string[] = LEGACY_ALARM_POLICY_KEYS;
      await alarms.untagAlarm(
        arn,
        tags.map((candidate) => candidate.key).filter((key) => legacyKeys.includes(key)),
      );
      return {
        alarm: name,
        service,
        status: 'moved',
        description: `moved the scaling policy of alarm ${name} (${what}) from the alarm's tags to service ${service}'s tags`,
      };
    });
    return moves.filter((move): move is PolicyMove => move !== undefined).sort((a, b) => (a.alarm < b.alarm ? -1 : a.alarm > b.alarm ? 1 : 0));
  } finally {
    alarms.destroy();
    client.destroy();
  }
}

/**
 * install's one call: the moves for the alarms that notify its topic or invoke its worker (as they exist
 * before this run), each reported as it is made; with --dry-run, what would move.
 */
export async function moveScalingPolicies(
  request: { readonly aws: AwsConfig; readonly dryRun: boolean; readonly progress: { done(text: string): void; warn(text: string): void } },
  actionArns: readonly (string | undefined)[],
): Promise<PolicyMove[]> {
  const arns = actionArns.filter((arn): arn is string => arn !== undefined);
  if (arns.length === 0) return [];
  const moves = await movePoliciesToServices({ aws: request.aws, actionArns: arns, dryRun: request.dryRun });
  if (!request.dryRun) {
    for (const move of moves) (move.status === 'moved' ? request.progress.done : request.progress.warn).call(request.progress, move.description);
  }
  return moves;
}
