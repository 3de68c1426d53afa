/**
 * The worker's alarm path: a CloudWatch alarm, through the install's SNS topic or as a direct
 * Lambda alarm action, scales the service whose tags hold a policy naming that alarm. The message
 * is only a prompt: the alarm's ARN and state are CloudWatch's answer now (DescribeAlarms), the
 * policy is the service's own tag for that ARN, and the count stays within the policy's bounds and
 * Application Auto Scaling's. Every decision is one JSON log line, and nothing here throws: Lambda
 * would retry a thrown async event and scale twice.
 */
import { isAlarmEventShape, parseAlarmEvent, parseServiceSpec, scaledAtFromTags, type AlarmTransition, type AlarmWorkerPort } from '../core/alarm.js';
import { decideScale } from '../core/alarm-decision.js';
import { isShortServiceArn } from '../core/arn.js';
import { alarmRecheck, recheckDelaySeconds, type AlarmRecheck } from '../core/alarm-recheck.js';
import { formatAdjustment } from '../core/scale.js';
import { ALARM_SERVICE_TAG, policyForAlarm } from '../core/scale-policy.js';
import type { LogLine } from '../webhook/log.js';

export type AlarmDecisionKind =
  | 'acted'
  | 'clamped'
  | 'in-cooldown'
  | 'no-policy'
  | 'not-alarm'
  | 'at-bound'
  | 'service-gone'
  | 'malformed'
  /** A re-check note whose service has scaled since: that scale left its own note. */
  | 'superseded'
  /** The service cannot be scaled: DAEMON, not ACTIVE, another deployment controller. */
  | 'skipped'
  /** An AWS call failed. */
  | 'failed';

export interface AlarmDecision {
  readonly decision: AlarmDecisionKind;
  readonly alarm?: string;
  readonly [field: string]: unknown;
}

const WARN: ReadonlySet<AlarmDecisionKind> = new Set(['malformed', 'service-gone', 'skipped']);
const NOT_OK: ReadonlySet<AlarmDecisionKind> = new Set(['malformed', 'failed']);

/** True for the two shapes in which CloudWatch alarms reach the worker; rollout jobs are neither. */
export function isAlarmEvent(event: unknown): boolean {
  return isAlarmEventShape(event);
}

/** Leaves a re-check note, delivered after `delaySeconds` (the follow queue); absent, an alarm acts on its transitions only. */
export type RecheckSender = (recheck: AlarmRecheck, delaySeconds: number) => Promise<void>;

export interface AlarmHandlerOptions {
  /** Epoch seconds; the system clock by default. */
  readonly now?: () => number;
  readonly recheck?: RecheckSender;
}

let defaultPort: Promise<AlarmWorkerPort> | undefined;

/** One SDK-backed port for the life of the Lambda container, so its clients and connections are reused. */
function sdkPort(): Promise<AlarmWorkerPort> {
  defaultPort ??= import('../aws/alarms.js').then(({ SdkAlarmWorker }) => new SdkAlarmWorker());
  return defaultPort;
}

function message(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function decide(
  transition: AlarmTransition,
  aws: AlarmWorkerPort,
  now: () => number,
  recheck?: RecheckSender,
  note?: AlarmRecheck,
): Promise<AlarmDecision> {
  const base = { alarm: transition.alarmName, shape: transition.shape };
  if (transition.newState !== 'ALARM') {
    return {
      decision: 'not-alarm',
      ...base,
      state: transition.newState,
      ...(transition.oldState === undefined ? {} : { previousState: transition.oldState }),
    };
  }
  // The message is only a claim: act only on an alarm that CloudWatch says is in ALARM now.
  const alarm = await aws.describeAlarm(transition.alarmName);
  if (alarm === undefined) return { decision: 'no-policy', ...base, reason: 'no metric alarm has this name in this region' };
  if (transition.alarmArn !== undefined && transition.alarmArn !== alarm.arn) {
    return { decision: 'no-policy', ...base, reason: `the message names ${transition.alarmArn}, not this region's alarm ${alarm.arn}; nothing done` };
  }
  if (alarm.state !== 'ALARM') {
    const reason =
      transition.shape === 'recheck'
        ? `the alarm is ${alarm.state} now; no more re-checks`
        : `the message says ALARM, but the alarm is ${alarm.state} now (a stale or forged message); nothing done`;
    return { decision: 'not-alarm', ...base, state: alarm.state, reason };
  }
  // The alarm's tag only says which service to look at; that service's own tags must name this alarm.
  const pointer = alarm.tags.find((tag) => tag.key === ALARM_SERVICE_TAG)?.value;
  if (pointer === undefined) return { decision: 'no-policy', ...base, reason: `the alarm has no ${ALARM_SERVICE_TAG} tag` };
  let named: { cluster: string; service: string };
  try {
    named = parseServiceSpec(pointer);
  } catch {
    return { decision: 'no-policy', ...base, reason: `the alarm's ${ALARM_SERVICE_TAG} tag is not <cluster>/<service>` };
  }
  const service = await aws.describeService(named.cluster, named.service);
  if (service === undefined)
    return { decision: 'service-gone', ...base, cluster: named.cluster, service: named.service, reason: `no service ${pointer}` };
  if (isShortServiceArn(service.serviceArn)) {
    // ECS tags only long-ARN services, so no policy can be on this one (and the role may not read its tags).
    return {
      decision: 'no-policy',
      ...base,
      cluster: named.cluster,
      service: named.service,
      reason: `service ${pointer} has a pre-2021 short ARN, which ECS does not tag, so it holds no policy; migrate it to the long ARN`,
    };
  }
  const serviceTags = await aws.serviceTags(service.serviceArn);
  const read = policyForAlarm(serviceTags, alarm.arn, named);
  if (read.kind === 'none') {
    return {
      decision: 'no-policy',
      ...base,
      cluster: named.cluster,
      service: named.service,
      reason: `the tags of service ${pointer} hold no policy for this alarm`,
    };
  }
  if (read.kind === 'invalid') return { decision: 'malformed', ...base, cluster: named.cluster, service: named.service, reason: read.reason };
  const { policy } = read;
  const target = { ...base, cluster: policy.cluster, service: policy.service, adjust: formatAdjustment(policy.adjustment) };
  if (service.schedulingStrategy === 'DAEMON') return { decision: 'skipped', ...target, reason: 'a DAEMON service has no desired count' };

  const autoscaling = await aws.scalableTarget(service);
  const lastScaledAt = scaledAtFromTags(serviceTags);
  if (note !== undefined && lastScaledAt !== note.scaledAt) {
    return { decision: 'superseded', ...target, reason: 'the service has scaled since this re-check was left; that scale left its own' };
  }
  const at = now();
  const verdict = decideScale({
    policy,
    desiredCount: service.desiredCount,
    lastScaledAt,
    now: at,
    ...(autoscaling === undefined ? {} : { autoscaling }),
  });
  const bounds = autoscaling === undefined ? {} : { autoscaling: { resourceId: autoscaling.resourceId, min: autoscaling.min, max: autoscaling.max } };
  switch (verdict.kind) {
    case 'in-cooldown': {
      // A note that arrived early (a cooldown past SQS's 15-minute delay) is sent on again.
      const again = note === undefined || recheck === undefined ? undefined : await leaveNote(recheck, note, at);
      return {
        decision: 'in-cooldown',
        ...target,
        scaledAt: verdict.scaledAt,
        cooldown: verdict.cooldownSeconds,
        remaining: verdict.remainingSeconds,
        ...again,
      };
    }
    case 'at-bound':
      return { decision: 'at-bound', ...target, count: verdict.count, bound: verdict.bound, min: policy.min, max: policy.max, ...bounds };
    case 'acted':
    case 'clamped': {
      const changed = await aws.setDesiredCount(service, verdict.to);
      if (changed.outcome !== 'updated') {
        return {
          decision: changed.outcome,
          ...target,
          from: verdict.from,
          to: verdict.to,
          reason: changed.reason ?? 'UpdateService did not update the service',
        };
      }
      const extra: Record<string, unknown> = verdict.kind === 'clamped' ? { bound: verdict.bound, ...bounds } : {};
      if (verdict.kind === 'clamped' && autoscaling !== undefined && verdict.bound.startsWith('autoscaling-')) {
        extra.message = `held at ${verdict.to}: Application Auto Scaling keeps ${autoscaling.resourceId} within ${autoscaling.min}..${autoscaling.max}`;
      }
      try {
        await aws.markScaled(service.serviceArn, at);
        if (recheck !== undefined) Object.assign(extra, await leaveNote(recheck, alarmRecheck(transition.alarmName, at, policy.cooldownSeconds), at));
      } catch (error) {
        // The count has changed; only the cooldown could not be recorded.
        extra.cooldownRecorded = false;
        extra.warning = `could not tag the service with its scale time: ${message(error)}`;
      }
      return { decision: verdict.kind, ...target, from: verdict.from, to: verdict.to, ...extra };
    }
  }
}

/** Sends the note; a failure is only a warning, since the scale itself is done. */
async function leaveNote(recheck: RecheckSender, note: AlarmRecheck, now: number): Promise<Record<string, unknown>> {
  try {
    await recheck(note, recheckDelaySeconds(note, now));
    return { recheckAt: note.notBefore };
  } catch (error) {
    return { recheckWarning: `could not leave the re-check for the end of the cooldown: ${message(error)}` };
  }
}

/**
 * Acts on every alarm transition in the event. Resolves with each decision, logged as it is made;
 * `ok` is false when an event did not parse or an AWS call failed.
 */
export async function handleAlarmEvent(
  event: unknown,
  log: LogLine,
  aws?: AlarmWorkerPort,
  options: AlarmHandlerOptions = {},
): Promise<{ ok: boolean; decisions: AlarmDecision[] }> {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const decisions: AlarmDecision[] = [];
  for (const record of parseAlarmEvent(event)) {
    let decision: AlarmDecision;
    if (record.kind === 'malformed') {
      decision = { decision: 'malformed', reason: record.reason };
    } else {
      try {
        decision = await decide(record.transition, aws ?? (await sdkPort()), now, options.recheck);
      } catch (error) {
        decision = { decision: 'failed', alarm: record.transition.alarmName, shape: record.transition.shape, reason: message(error) };
      }
    }
    const level = decision.decision === 'failed' ? 'error' : WARN.has(decision.decision) ? 'warn' : 'info';
    log({ level, event: 'alarm', ...decision });
    decisions.push(decision);
  }
  return { ok: decisions.every((decision) => !NOT_OK.has(decision.decision)), decisions };
}

/** The worker's own re-check note, from the follow queue: the alarm acts again if it is still in ALARM. */
export async function handleAlarmRecheck(
  note: AlarmRecheck,
  log: LogLine,
  aws?: AlarmWorkerPort,
  options: AlarmHandlerOptions = {},
): Promise<AlarmDecision> {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const transition: AlarmTransition = { shape: 'recheck', alarmName: note.alarmName, newState: 'ALARM' };
  let decision: AlarmDecision;
  try {
    decision = await decide(transition, aws ?? (await sdkPort()), now, options.recheck, note);
  } catch (error) {
    decision = { decision: 'failed', alarm: note.alarmName, shape: 'recheck', reason: message(error) };
  }
  const level = decision.decision === 'failed' ? 'error' : WARN.has(decision.decision) ? 'warn' : 'info';
  log({ level, event: 'alarm', ...decision });
  return decision;
}
