/**
 * The worker's alarm path: a CloudWatch alarm, through the install's SNS topic or as a direct
 * Lambda alarm action, scales the service its policy names. Every decision is one JSON log line,
 * and nothing here throws: Lambda would retry a thrown async event and scale twice.
 */
import {
  decideScale,
  isAlarmEventShape,
  parseAlarmEvent,
  policyFromTags,
  policyServiceLabel,
  scaledAtFromTags,
  type AlarmTransition,
  type AlarmWorkerPort,
} from '../core/alarm.js';
import { formatAdjustment } from '../core/scale.js';
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

export interface AlarmHandlerOptions {
  /** Epoch seconds; the system clock by default. */
  readonly now?: () => number;
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

async function decide(transition: AlarmTransition, aws: AlarmWorkerPort, now: () => number): Promise<AlarmDecision> {
  const base = { alarm: transition.alarmName, shape: transition.shape };
  if (transition.newState !== 'ALARM') {
    return { decision: 'not-alarm', ...base, state: transition.newState, ...(transition.oldState === undefined ? {} : { previousState: transition.oldState }) };
  }
  // The message is only a claim: act only on an alarm that CloudWatch says is in ALARM now.
  const stateNow = await aws.alarmState?.(transition);
  if (stateNow !== undefined && stateNow !== 'ALARM') {
    return { decision: 'not-alarm', ...base, state: stateNow, reason: `the message says ALARM, but the alarm is ${stateNow} now (a stale or forged message); nothing done` };
  }
  const tags = await aws.alarmTags(transition);
  if (tags === undefined) return { decision: 'no-policy', ...base, reason: 'no metric alarm has this name any more' };
  const read = policyFromTags(tags);
  if (read.kind === 'none') return { decision: 'no-policy', ...base, reason: 'the alarm carries no ecs-roll policy' };
  if (read.kind === 'invalid') return { decision: 'malformed', ...base, reason: read.reason };
  const { policy } = read;
  const target = { ...base, cluster: policy.cluster, service: policy.service, adjust: formatAdjustment(policy.adjustment) };

  const service = await aws.describeService(policy.cluster, policy.service);
  if (service === undefined) return { decision: 'service-gone', ...target, reason: `no service ${policyServiceLabel(policy)}` };
  if (service.schedulingStrategy === 'DAEMON') return { decision: 'skipped', ...target, reason: 'a DAEMON service has no desired count' };

  const lastScaledAt = scaledAtFromTags(await aws.serviceTags(service.serviceArn));
  const at = now();
  const verdict = decideScale({ policy, desiredCount: service.desiredCount, lastScaledAt, now: at });
  switch (verdict.kind) {
    case 'in-cooldown':
      return { decision: 'in-cooldown', ...target, scaledAt: verdict.scaledAt, cooldown: verdict.cooldownSeconds, remaining: verdict.remainingSeconds };
    case 'at-bound':
      return { decision: 'at-bound', ...target, count: verdict.count, bound: verdict.bound, min: policy.min, max: policy.max };
    case 'acted':
    case 'clamped': {
      const changed = await aws.setDesiredCount(service, verdict.to);
      if (changed.outcome !== 'updated') {
        return { decision: changed.outcome, ...target, from: verdict.from, to: verdict.to, reason: changed.reason ?? 'UpdateService did not update the service' };
      }
      const extra: Record<string, unknown> = verdict.kind === 'clamped' ? { bound: verdict.bound } : {};
      try {
        await aws.markScaled(service.serviceArn, at);
      } catch (error) {
        // The count has changed; only the cooldown could not be recorded.
        extra.cooldownRecorded = false;
        extra.warning = `could not tag the service with its scale time: ${message(error)}`;
      }
      return { decision: verdict.kind, ...target, from: verdict.from, to: verdict.to, ...extra };
    }
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
        decision = await decide(record.transition, aws ?? (await sdkPort()), now);
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
