/**
 * An alarm that stays in ALARM acts again once its cooldown is over, as Auto Scaling's alarm actions
 * do. CloudWatch runs an alarm's SNS and Lambda actions only when its state changes; only Auto Scaling
 * actions are repeated (once a minute) while the alarm stays in its state
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-actions.html). So after each
 * scale the worker leaves itself this note on the follow queue, for when the cooldown ends (at least a
 * minute later): if DescribeAlarms still says ALARM then, the policy applies again; otherwise it stops.
 */
export const ALARM_RECHECK_VERSION = 1;
/** CloudWatch repeats Auto Scaling actions once a minute; a re-check is never sooner. */
export const MIN_RECHECK_SECONDS = 60;
/** SQS's longest per-message delay; a later re-check is sent on again when it arrives early. */
export const MAX_RECHECK_DELAY_SECONDS = 900;

export interface AlarmRecheck {
  readonly kind: 'alarm-recheck';
  readonly version: typeof ALARM_RECHECK_VERSION;
  readonly alarmName: string;
  /**
   * The service's `ecs-roll:scaled-at` when this note was left. When the service shows another one on
   * arrival, a later scale has left its own note and this one is dropped, so notes never multiply.
   */
  readonly scaledAt: number;
  /** Epoch seconds before which the cooldown holds. */
  readonly notBefore: number;
}

export function alarmRecheck(alarmName: string, scaledAt: number, cooldownSeconds: number): AlarmRecheck {
  return {
    kind: 'alarm-recheck',
    version: ALARM_RECHECK_VERSION,
    alarmName,
    scaledAt,
    notBefore: scaledAt + Math.max(cooldownSeconds, MIN_RECHECK_SECONDS),
  };
}

/** Seconds until the note is due, within what SQS allows for one message's delay. */
export function recheckDelaySeconds(recheck: Pick<AlarmRecheck, 'notBefore'>, now: number): number {
  return Math.min(MAX_RECHECK_DELAY_SECONDS, Math.max(0, Math.ceil(recheck.notBefore - now)));
}

export function parseAlarmRecheck(body: unknown): AlarmRecheck | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const candidate = body as Record<string, unknown>;
  if (candidate.kind !== 'alarm-recheck' || candidate.version !== ALARM_RECHECK_VERSION) return undefined;
  const { alarmName, scaledAt, notBefore } = candidate;
  if (typeof alarmName !== 'string' || alarmName === '' || !Number.isSafeInteger(scaledAt) || !Number.isSafeInteger(notBefore)) return undefined;
  return { kind: 'alarm-recheck', version: ALARM_RECHECK_VERSION, alarmName, scaledAt: scaledAt as number, notBefore: notBefore as number };
}
