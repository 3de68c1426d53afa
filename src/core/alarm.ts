/**
 * Alarm-driven scaling, the pure parts: what a policy is, how older installs kept it in an alarm's
 * tags, and the two shapes in which CloudWatch hands an alarm to a Lambda function. Where a policy
 * lives now is src/core/scale-policy.ts; what the worker decides, src/core/alarm-decision.ts. No SDK
 * and no I/O here: the AWS side is src/aws/alarms.ts.
 */
import { UsageError } from './errors.js';
import type { ServiceSnapshot, Tag } from './model.js';
import { formatAdjustment, parseAdjustment, type Adjustment } from './scale.js';

export const DEFAULT_COOLDOWN_SECONDS = 300;

/**
 * Where older installs kept a policy: tags on the alarm. Anyone allowed to tag alarms could write
 * them, so the worker no longer reads them; `install` moves them to the service's tags.
 */
export const POLICY_TAGS = {
  service: 'ecs-roll:service',
  adjust: 'ecs-roll:adjust',
  min: 'ecs-roll:min',
  max: 'ecs-roll:max',
  cooldown: 'ecs-roll:cooldown',
} as const;
export const POLICY_TAG_KEYS: readonly string[] = Object.values(POLICY_TAGS);

/** On the service: when (epoch seconds) a policy last changed its desired count. */
export const SCALED_AT_TAG = 'ecs-roll:scaled-at';

/** The install's topic that alarms notify: `<name>-alarms`. */
export function alarmTopicName(installName: string): string {
  return `${installName}-alarms`;
}

export interface AlarmPolicy {
  readonly cluster: string;
  readonly service: string;
  readonly adjustment: Adjustment;
  readonly min: number;
  readonly max: number;
  readonly cooldownSeconds: number;
}

export function policyServiceLabel(policy: Pick<AlarmPolicy, 'cluster' | 'service'>): string {
  return `${policy.cluster}/${policy.service}`;
}

/** A policy names its service exactly: `cluster/service`, since the alarm may fire long after. */
export function parseServiceSpec(spec: string): { cluster: string; service: string } {
  const parts = spec.split('/');
  if (parts.length !== 2 || parts.some((part) => part.trim() === '' || part !== part.trim())) {
    throw new UsageError(`name the service as <cluster>/<service>, got ${JSON.stringify(spec)}`);
  }
  return { cluster: parts[0] as string, service: parts[1] as string };
}

const WHOLE = /^\d+$/;

function whole(name: string, text: string): number {
  const value = text.trim();
  if (!WHOLE.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${name} must be a whole number, got ${JSON.stringify(text)}`);
  }
  return Number(value);
}

export interface RawPolicyInput {
  readonly service: string;
  readonly adjust: string;
  readonly min: string;
  readonly max: string;
  readonly cooldown?: string;
}

/** Checks everything `scale policy put` was given; throws UsageError before any AWS call. */
export function parsePolicyInput(raw: RawPolicyInput): AlarmPolicy {
  const { cluster, service } = parseServiceSpec(raw.service);
  const adjustment = parseAdjustment(raw.adjust);
  const min = whole('--min', raw.min);
  const max = whole('--max', raw.max);
  if (min > max) throw new UsageError(`--min ${min} is above --max ${max}`);
  const cooldownSeconds = raw.cooldown === undefined ? DEFAULT_COOLDOWN_SECONDS : whole('--cooldown', raw.cooldown);
  if (adjustment.kind === 'exact' && (adjustment.count < min || adjustment.count > max)) {
    throw new UsageError(`--adjust =${adjustment.count} is outside --min ${min} .. --max ${max}`);
  }
  if (adjustment.kind === 'change' && adjustment.tasks === 0) throw new UsageError('--adjust of 0 tasks would never change anything');
  if (adjustment.kind === 'percent' && adjustment.percent === 0) throw new UsageError('--adjust of 0% would never change anything');
  return { cluster, service, adjustment, min, max, cooldownSeconds };
}

/**
 * Tag values keep to the characters every AWS tagging API accepts (letters, digits, space and
 * `_ . : / = + - @`), so a percent is written `+50pct`; reading accepts `%` as well.
 */
export function adjustmentTagValue(adjustment: Adjustment): string {
  return formatAdjustment(adjustment).replace(/%$/, 'pct');
}

/** The alarm tags an older install wrote for a policy (tests and the move of old policies read them). */
export function policyTags(policy: AlarmPolicy): Tag[] {
  return [
    { key: POLICY_TAGS.service, value: policyServiceLabel(policy) },
    { key: POLICY_TAGS.adjust, value: adjustmentTagValue(policy.adjustment) },
    { key: POLICY_TAGS.min, value: String(policy.min) },
    { key: POLICY_TAGS.max, value: String(policy.max) },
    { key: POLICY_TAGS.cooldown, value: String(policy.cooldownSeconds) },
  ];
}

export type PolicyFromTags =
  | { readonly kind: 'none' }
  | { readonly kind: 'policy'; readonly policy: AlarmPolicy }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Reads an older install's policy from an alarm's tags. No `ecs-roll:service` tag means no policy. */
export function policyFromTags(tags: readonly Tag[]): PolicyFromTags {
  const value = (key: string) => tags.find((tag) => tag.key === key)?.value;
  const service = value(POLICY_TAGS.service);
  if (service === undefined) return { kind: 'none' };
  try {
    const adjust = value(POLICY_TAGS.adjust);
    const min = value(POLICY_TAGS.min);
    const max = value(POLICY_TAGS.max);
    if (adjust === undefined || min === undefined || max === undefined) {
      return {
        kind: 'invalid',
        reason: `the alarm has ${POLICY_TAGS.service} but lacks ${POLICY_TAGS.adjust}, ${POLICY_TAGS.min} or ${POLICY_TAGS.max}`,
      };
    }
    const cooldown = value(POLICY_TAGS.cooldown);
    const policy = parsePolicyInput({
      service,
      adjust: adjust.trim().replace(/pct$/, '%'),
      min,
      max,
      ...(cooldown === undefined ? {} : { cooldown }),
    });
    return { kind: 'policy', policy };
  } catch (error) {
    return { kind: 'invalid', reason: `the alarm's policy tags do not parse: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * Fields DescribeAlarms returns about an alarm's state or history, which PutMetricAlarm does not take.
 * The re-put copies the alarm and removes these, rather than listing the fields to keep, so that
 * a field CloudWatch adds later is carried over instead of silently dropped.
 */
export const READ_ONLY_ALARM_FIELDS = [
  'AlarmArn',
  'AlarmConfigurationUpdatedTimestamp',
  'StateValue',
  'StateReason',
  'StateReasonData',
  'StateUpdatedTimestamp',
  'StateTransitionedTimestamp',
  'EvaluationState',
] as const;

/**
 * The PutMetricAlarm input that re-creates `alarm` (as DescribeAlarms returned it) with other alarm
 * actions. Empty `Metrics` is dropped: PutMetricAlarm refuses Metrics beside MetricName, and some
 * implementations answer an empty list for a single-metric alarm. Tags are not part of it: a put
 * of an existing alarm ignores them, and the alarm keeps its own.
 */
export function alarmPutInput(alarm: Readonly<Record<string, unknown>>, alarmActions: readonly string[]): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(alarm)) {
    if (value === undefined || key === '$metadata') continue;
    if ((READ_ONLY_ALARM_FIELDS as readonly string[]).includes(key)) continue;
    copy[key] = structuredClone(value);
  }
  if (Array.isArray(copy.Metrics) && copy.Metrics.length === 0) delete copy.Metrics;
  if (typeof copy.AlarmName !== 'string') throw new TypeError('an alarm without a name cannot be put');
  copy.AlarmActions = [...alarmActions];
  return copy;
}

/** The alarm's actions with `topicArn` added once, the others kept in their order. */
export function withAction(actions: readonly string[], topicArn: string): string[] {
  return actions.includes(topicArn) ? [...actions] : [...actions, topicArn];
}

export function withoutAction(actions: readonly string[], topicArn: string): string[] {
  return actions.filter((action) => action !== topicArn);
}

// ------------------------------------------------------------------ alarm events

export type AlarmState = 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';

/** One alarm state change, whichever way CloudWatch delivered it. */
export interface AlarmTransition {
  /** `recheck`: the worker's own note to look again once the cooldown is over (src/core/alarm-recheck.ts). */
  readonly shape: 'sns' | 'lambda' | 'recheck';
  readonly alarmName: string;
  readonly alarmArn?: string;
  /** The new state as CloudWatch gave it; anything but ALARM does nothing. */
  readonly newState: string;
  readonly oldState?: string;
  /** When the state changed, as CloudWatch wrote it. */
  readonly time?: string;
}

export type ParsedAlarmRecord =
  | { readonly kind: 'transition'; readonly transition: AlarmTransition }
  | { readonly kind: 'malformed'; readonly reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** An SNS notification event (`Records[].Sns`), as SNS invokes a subscribed function. */
export function isSnsEvent(event: unknown): event is { Records: unknown[] } {
  return (
    isRecord(event) &&
    Array.isArray(event.Records) &&
    event.Records.length > 0 &&
    event.Records.every((record) => isRecord(record) && (record.EventSource === 'aws:sns' || isRecord(record.Sns)))
  );
}

/** CloudWatch's own Lambda alarm action. */
export function isCloudWatchLambdaEvent(event: unknown): event is Record<string, unknown> {
  return isRecord(event) && event.source === 'aws.cloudwatch' && 'alarmData' in event;
}

export function isAlarmEventShape(event: unknown): boolean {
  return isSnsEvent(event) || isCloudWatchLambdaEvent(event);
}

function fromSnsMessage(message: unknown): ParsedAlarmRecord {
  if (typeof message !== 'string') return { kind: 'malformed', reason: 'the SNS record has no Message' };
  let body: unknown;
  try {
    body = JSON.parse(message);
  } catch {
    return { kind: 'malformed', reason: 'the SNS message is not JSON' };
  }
  if (!isRecord(body)) return { kind: 'malformed', reason: 'the SNS message is not a JSON object' };
  const alarmName = text(body.AlarmName);
  const newState = text(body.NewStateValue);
  if (alarmName === undefined || newState === undefined) {
    return { kind: 'malformed', reason: 'the SNS message is not a CloudWatch alarm notification (no AlarmName or NewStateValue)' };
  }
  const alarmArn = text(body.AlarmArn);
  const oldState = text(body.OldStateValue);
  const time = text(body.StateChangeTime);
  return {
    kind: 'transition',
    transition: {
      shape: 'sns',
      alarmName,
      ...(alarmArn === undefined ? {} : { alarmArn }),
      newState,
      ...(oldState === undefined ? {} : { oldState }),
      ...(time === undefined ? {} : { time }),
    },
  };
}

function fromLambdaAction(event: Record<string, unknown>): ParsedAlarmRecord {
  const data = event.alarmData;
  if (!isRecord(data)) return { kind: 'malformed', reason: 'the CloudWatch event has no alarmData' };
  const alarmName = text(data.alarmName);
  const state = isRecord(data.state) ? data.state : undefined;
  const newState = text(state?.value);
  if (alarmName === undefined || newState === undefined) {
    return { kind: 'malformed', reason: 'the CloudWatch event has no alarmData.alarmName or alarmData.state.value' };
  }
  const alarmArn = text(event.alarmArn);
  const oldState = isRecord(data.previousState) ? text(data.previousState.value) : undefined;
  const time = text(state?.timestamp) ?? text(event.time);
  return {
    kind: 'transition',
    transition: {
      shape: 'lambda',
      alarmName,
      ...(alarmArn === undefined ? {} : { alarmArn }),
      newState,
      ...(oldState === undefined ? {} : { oldState }),
      ...(time === undefined ? {} : { time }),
    },
  };
}

/** Every alarm transition an event carries (SNS may batch records); never throws. */
export function parseAlarmEvent(event: unknown): ParsedAlarmRecord[] {
  if (isCloudWatchLambdaEvent(event)) return [fromLambdaAction(event)];
  if (isSnsEvent(event)) {
    return event.Records.map((record) =>
      isRecord(record) && isRecord(record.Sns) ? fromSnsMessage(record.Sns.Message) : { kind: 'malformed', reason: 'an SNS record without Sns' },
    );
  }
  return [{ kind: 'malformed', reason: 'the event is neither an SNS notification nor a CloudWatch alarm action' }];
}

/** Reads the `ecs-roll:scaled-at` tag; anything but a number of seconds counts as absent. */
export function scaledAtFromTags(tags: readonly Tag[]): number | undefined {
  const value = tags.find((tag) => tag.key === SCALED_AT_TAG)?.value;
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}

/** UpdateService's result: `skipped` when the service cannot be scaled (not ACTIVE, another deployment controller). */
export interface ScaleOutcome {
  readonly outcome: 'updated' | 'skipped' | 'failed';
  readonly reason?: string;
}

/** An alarm as DescribeAlarms answers it now: the ARN and state are CloudWatch's, not the message's. */
export interface AlarmNow {
  readonly arn: string;
  readonly state: string;
  /** The alarm's tags (ListTagsForResource); only `ecs-roll:service` is read, as a pointer. */
  readonly tags: readonly Tag[];
}

/** Application Auto Scaling's scalable target for a service (ecs:service:DesiredCount). */
export interface ScalableTargetBounds {
  readonly resourceId: string;
  readonly min: number;
  readonly max: number;
}

/** What the worker needs from AWS to act on an alarm; the SDK implements it in src/aws/alarms.ts. */
export interface AlarmWorkerPort {
  /** The metric alarm with this name in the worker's region, or undefined when there is none. */
  describeAlarm(alarmName: string): Promise<AlarmNow | undefined>;
  /** The service, or undefined when it (or its cluster) no longer exists or is INACTIVE. */
  describeService(cluster: string, service: string): Promise<ServiceSnapshot | undefined>;
  serviceTags(serviceArn: string): Promise<readonly Tag[]>;
  /** The service's scalable target, or undefined when Application Auto Scaling does not scale it. */
  scalableTarget(service: ServiceSnapshot): Promise<ScalableTargetBounds | undefined>;
  /** UpdateService with desiredCount only; never a task definition. */
  setDesiredCount(service: ServiceSnapshot, count: number): Promise<ScaleOutcome>;
  /** Records the scale time (epoch seconds) on the service for the cooldown. */
  markScaled(serviceArn: string, epochSeconds: number): Promise<void>;
}
