import type { NotifiedService, OutcomeNotice } from './notification.js';

/**
 * The webhook worker's outcomes as notifications. Every outcome the worker reaches (a push ignored by
 * the policy, a rollout started and handed to the follow queue, a look that ends it, a failure and its
 * rollback, an alarm's scale) is already one structured log line; the notification is derived from
 * that same record, so what a channel is told can never disagree with the function's log.
 * Lines that are not outcomes (progress, a refusal of a repository outside the allow-list, which
 * anyone able to send to the queue could cause) give none.
 */
export function noticesFromWorkerLog(fields: Readonly<Record<string, unknown>>): OutcomeNotice[] {
  const notice = noticeFromWorkerLog(fields);
  if (notice === undefined) return [];
  // A run that failed and was rolled back within one invocation (a failed start, or a worker without the
  // follow queue) logs one line for both; a followed rollout has said "failed" already (rollout-failed).
  if (notice.outcome === 'rolled-back' && fields.phase === undefined) return [{ ...notice, outcome: 'failed' }, notice];
  return [notice];
}

function noticeFromWorkerLog(fields: Readonly<Record<string, unknown>>): OutcomeNotice | undefined {
  const image = typeof fields.job === 'string' ? fields.job : undefined;
  const pushedAt = typeof fields.pushedAt === 'number' ? fields.pushedAt : undefined;
  const reason = typeof fields.reason === 'string' ? fields.reason : typeof fields.message === 'string' ? fields.message : undefined;
  const rollout = (outcome: OutcomeNotice['outcome'], services: readonly NotifiedService[], withReason = false): OutcomeNotice => ({
    operation: 'rollout',
    outcome,
    source: 'webhook',
    ...(image === undefined ? {} : { image }),
    ...(pushedAt === undefined ? {} : { pushedAt }),
    ...(withReason && reason !== undefined ? { reason } : {}),
    services,
  });
  const services = servicesOf(fields.services);
  switch (fields.event) {
    case 'job-ignored':
      return rollout('ignored', [], true);
    case 'job-following':
      return rollout('started', services);
    case 'rollout-failed':
      return rollout('failed', services);
    case 'job-failed':
      return rollout('failed', [], true);
    case 'job-finished': {
      if (fields.outcome === 'ignored') return rollout('ignored', [], true);
      if (fields.ok === true) {
        const changed = services.filter((service) => service.outcome === undefined || CHANGED.has(service.outcome));
        // Nothing moved because the policy kept every service where it is (a semver downgrade, say): ignored, with why.
        const skipped = services.find((service) => service.outcome === 'skipped' && service.reason !== undefined);
        if (changed.length === 0 && skipped !== undefined) {
          return {
            ...rollout(
              'ignored',
              services.filter((service) => service.outcome === 'skipped'),
            ),
            reason: `${skipped.cluster}/${skipped.service}: ${skipped.reason}`,
          };
        }
        return rollout('completed', changed);
      }
      const back = services.some((service) => service.outcome === 'rolled-back');
      return rollout(back ? 'rolled-back' : 'failed', services);
    }
    case 'alarm':
      return alarmNotice(fields);
    default:
      return undefined;
  }
}

const CHANGED: ReadonlySet<string> = new Set(['completed', 'updated']);

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function servicesOf(value: unknown): NotifiedService[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const record = entry as Record<string, unknown>;
    const cluster = text(record.cluster);
    const service = text(record.service);
    if (cluster === undefined || service === undefined) return [];
    const outcome = text(record.outcome);
    const reason = text(record.reason);
    const cause = text(record.cause);
    return [
      {
        cluster,
        service,
        ...(outcome === undefined ? {} : { outcome }),
        ...(reason === undefined ? {} : { reason }),
        ...(cause === undefined ? {} : { cause }),
      },
    ];
  });
}

/** acted/clamped: scaled; failed: failed; in cooldown or at a bound: ignored by the policy. Anything else says nothing about a service. */
function alarmNotice(fields: Readonly<Record<string, unknown>>): OutcomeNotice | undefined {
  const decision = fields.decision;
  const outcome =
    decision === 'acted' || decision === 'clamped'
      ? 'completed'
      : decision === 'failed'
        ? 'failed'
        : decision === 'in-cooldown' || decision === 'at-bound'
          ? 'ignored'
          : undefined;
  const cluster = text(fields.cluster);
  const service = text(fields.service);
  if (outcome === undefined || cluster === undefined || service === undefined) return undefined;
  // The worker's own re-check of an alarm still in ALARM: holding back again is not news, only a scale is.
  if (outcome === 'ignored' && fields.shape === 'recheck') return undefined;
  const from = fields.from;
  const to = fields.to;
  const reason =
    decision === 'in-cooldown'
      ? `in its cooldown (${String(fields.remaining)} s left)`
      : decision === 'at-bound'
        ? `already at its ${String(fields.bound)} of ${String(fields.count)} tasks`
        : text(fields.reason);
  const alarm = text(fields.alarm);
  return {
    operation: 'scale',
    outcome,
    source: 'alarm',
    ...(alarm === undefined ? {} : { alarm }),
    ...(outcome !== 'completed' && reason !== undefined ? { reason } : {}),
    services: [{ cluster, service, ...(typeof from === 'number' && typeof to === 'number' ? { desiredCount: { from, to } } : {}) }],
  };
}
