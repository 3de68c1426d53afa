/**
 * Where an alarm's scaling policy lives: on the ECS service it scales, as one tag that names the
 * alarm. Only a principal allowed to tag the service (ecs:TagResource on it) can put one there, so
 * one who can only write alarms, or publish to the install's topic, cannot change any service's
 * count: an alarm made by hand with copied tags and actions has another ARN, and no service names it.
 *
 * The tag: key `ecs-roll:alarm:<first 32 hex digits of SHA-256 of the alarm's ARN>`, value
 * `adjust=+2 min=1 max=10 cooldown=300 alarm=<alarm name>`. The key is a digest because alarm names
 * may be 255 characters of any kind and ECS tag keys are at most 128 characters of letters, digits,
 * spaces and `_ . : / = + - @`; the name in the value is for people reading the tags (made tag-safe
 * and cut to fit), never matched. ECS's tag limits: 50 tags a resource (`aws:` ones do not count),
 * keys 1–128 and values 0–256 Unicode characters. https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Tag.html
 *
 * The alarm keeps one tag, `ecs-roll:service=<cluster>/<service>`, that tells the worker which
 * service to look at; it grants nothing, since that service's tags must name this alarm's ARN.
 */
import { createHash } from 'node:crypto';
import { adjustmentTagValue, parsePolicyInput, policyFromTags, POLICY_TAGS, type AlarmPolicy, type PolicyFromTags } from './alarm.js';
import type { Tag } from './model.js';

export const SERVICE_POLICY_TAG_PREFIX = 'ecs-roll:alarm:';
/** On the alarm: which service's tags hold its policy. */
export const ALARM_SERVICE_TAG = POLICY_TAGS.service;
/** Policy tags older installs kept on the alarm itself; `install` moves them to the service. */
export const LEGACY_ALARM_POLICY_KEYS = ['ecs-roll:adjust', 'ecs-roll:min', 'ecs-roll:max', 'ecs-roll:cooldown'] as const;

/** An older install's policy in the alarm's tags; `none` when the alarm has only the pointer (or nothing). */
export function legacyAlarmPolicy(tags: readonly Tag[]): PolicyFromTags {
  const keys: readonly string[] = LEGACY_ALARM_POLICY_KEYS;
  if (!tags.some((tag) => keys.includes(tag.key))) return { kind: 'none' };
  return policyFromTags(tags);
}

export const TAG_LIMITS = { tagsPerResource: 50, keyLength: 128, valueLength: 256 } as const;
/** The characters ECS (and every AWS tagging API) accepts in keys and values. */
const TAG_SAFE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const TAG_UNSAFE_CHARACTER = /[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu;

const DIGEST_HEX_DIGITS = 32;

/** `ecs-roll:alarm:<digest>`: the service tag key for the alarm with this ARN. */
export function servicePolicyTagKey(alarmArn: string): string {
  return `${SERVICE_POLICY_TAG_PREFIX}${createHash('sha256').update(alarmArn, 'utf8').digest('hex').slice(0, DIGEST_HEX_DIGITS)}`;
}

/** An alarm name as tag-safe text, for people: unsafe characters become `_`, cut to `room` characters. */
export function tagSafeText(text: string, room: number): string {
  return [...text.replace(TAG_UNSAFE_CHARACTER, '_')].slice(0, Math.max(0, room)).join('');
}

export function servicePolicyTag(policy: AlarmPolicy, alarm: { readonly arn: string; readonly name: string }): Tag {
  const head = `adjust=${adjustmentTagValue(policy.adjustment)} min=${policy.min} max=${policy.max} cooldown=${policy.cooldownSeconds} alarm=`;
  return { key: servicePolicyTagKey(alarm.arn), value: `${head}${tagSafeText(alarm.name, TAG_LIMITS.valueLength - head.length)}` };
}

export interface ServicePolicy {
  readonly key: string;
  /** The alarm name as the tag wrote it (tag-safe, maybe cut): for display only. */
  readonly alarmLabel: string;
  readonly policy: AlarmPolicy;
}

export type ServicePolicyRead =
  | { readonly kind: 'policy'; readonly entry: ServicePolicy }
  | { readonly kind: 'invalid'; readonly key: string; readonly reason: string };

const VALUE_PATTERN = /^adjust=(\S+) min=(\S+) max=(\S+) cooldown=(\S+) alarm=(.*)$/su;

/** One `ecs-roll:alarm:*` tag of the service `cluster/service`, parsed. */
export function readServicePolicyTag(tag: Tag, service: { readonly cluster: string; readonly service: string }): ServicePolicyRead {
  const match = VALUE_PATTERN.exec(tag.value);
  if (match === null) {
    return { kind: 'invalid', key: tag.key, reason: `tag ${tag.key} is not "adjust=… min=… max=… cooldown=… alarm=…"` };
  }
  const [, adjust = '', min = '', max = '', cooldown = '', alarmLabel = ''] = match;
  try {
    const policy = parsePolicyInput({ service: `${service.cluster}/${service.service}`, adjust: adjust.replace(/pct$/, '%'), min, max, cooldown });
    return { kind: 'policy', entry: { key: tag.key, alarmLabel, policy } };
  } catch (error) {
    return { kind: 'invalid', key: tag.key, reason: `tag ${tag.key} does not parse: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Every policy tag on a service, in key order. */
export function servicePolicies(tags: readonly Tag[], service: { readonly cluster: string; readonly service: string }): ServicePolicyRead[] {
  return tags
    .filter((tag) => tag.key.startsWith(SERVICE_POLICY_TAG_PREFIX))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((tag) => readServicePolicyTag(tag, service));
}

export type PolicyMatch =
  | { readonly kind: 'none' }
  | { readonly kind: 'policy'; readonly policy: AlarmPolicy }
  | { readonly kind: 'invalid'; readonly reason: string };

/** The service's policy for the alarm with this ARN (the ARN CloudWatch answers, never the message's). */
export function policyForAlarm(tags: readonly Tag[], alarmArn: string, service: { readonly cluster: string; readonly service: string }): PolicyMatch {
  const key = servicePolicyTagKey(alarmArn);
  const tag = tags.find((candidate) => candidate.key === key);
  if (tag === undefined) return { kind: 'none' };
  const read = readServicePolicyTag(tag, service);
  return read.kind === 'policy' ? { kind: 'policy', policy: read.entry.policy } : { kind: 'invalid', reason: read.reason };
}

/**
 * Why ECS would refuse these tags on a resource that has `existing` (undefined when it would take them):
 * the tag count after the merge (keys replace, `aws:` tags do not count), key and value lengths, characters.
 */
export function tagLimitProblem(existing: readonly Tag[], adding: readonly Tag[]): string | undefined {
  for (const tag of adding) {
    if ([...tag.key].length < 1 || [...tag.key].length > TAG_LIMITS.keyLength)
      return `tag key ${JSON.stringify(tag.key)} is not 1 to ${TAG_LIMITS.keyLength} characters`;
    if ([...tag.value].length > TAG_LIMITS.valueLength) return `the value of tag ${tag.key} is over ${TAG_LIMITS.valueLength} characters`;
    if (!TAG_SAFE.test(tag.key) || !TAG_SAFE.test(tag.value)) return `tag ${tag.key} has a character ECS does not accept in tags`;
  }
  const keys = new Set([...existing, ...adding].map((tag) => tag.key).filter((key) => !key.toLowerCase().startsWith('aws:')));
  if (keys.size > TAG_LIMITS.tagsPerResource) {
    return `the service would have ${keys.size} tags; ECS allows ${TAG_LIMITS.tagsPerResource} a resource (remove a tag or another scaling policy first)`;
  }
  return undefined;
}

// ------------------------------------------------------------------ Application Auto Scaling bounds

export interface CapacityBounds {
  readonly min: number;
  readonly max: number;
}

/**
 * The bounds the alarm path keeps to: the policy's, narrowed by Application Auto Scaling's scalable
 * target when the service has one. Application Auto Scaling brings a count outside its MinCapacity..
 * MaxCapacity back into range whenever one of its policies runs or the target is registered
 * (https://docs.aws.amazon.com/autoscaling/application/userguide/getting-started.html), so where the
 * two ranges do not meet, its range wins: a count outside it would only be undone.
 */
export function effectiveBounds(
  policy: CapacityBounds,
  autoscaling: CapacityBounds | undefined,
): CapacityBounds & { readonly source: { readonly min: 'policy' | 'autoscaling'; readonly max: 'policy' | 'autoscaling' } } {
  if (autoscaling === undefined) return { ...policy, source: { min: 'policy', max: 'policy' } };
  if (policy.min > autoscaling.max || policy.max < autoscaling.min) return { ...autoscaling, source: { min: 'autoscaling', max: 'autoscaling' } };
  const min = Math.max(policy.min, autoscaling.min);
  const max = Math.min(policy.max, autoscaling.max);
  return {
    min,
    max,
    source: { min: autoscaling.min > policy.min ? 'autoscaling' : 'policy', max: autoscaling.max < policy.max ? 'autoscaling' : 'policy' },
  };
}
