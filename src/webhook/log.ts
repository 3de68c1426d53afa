import type { RolloutEvent } from '../core/events.js';

/**
 * One JSON object per line, as CloudWatch Logs and most log shippers expect. Callers pass only
 * fields they chose: never a request path or header, which could carry the URL token.
 */
export type LogLine = (fields: Readonly<Record<string, unknown>>) => void;

export function jsonLines(write: (line: string) => void, now: () => Date = () => new Date()): LogLine {
  return (fields) => write(`${JSON.stringify({ time: now().toISOString(), ...fields })}\n`);
}

/** Rollout events as log lines; the plan is summarised, not dumped, to keep lines short. */
export function logEvent(log: LogLine, event: RolloutEvent, context: Readonly<Record<string, unknown>>): void {
  if (event.type === 'plan') {
    log({
      ...context,
      event: 'plan',
      services: event.plan.services.map((service) => ({
        cluster: service.cluster,
        service: service.service,
        action: service.action,
        reason: service.reason,
        ...(service.skipKind === undefined ? {} : { skipKind: service.skipKind }),
      })),
      registrations: event.plan.registrations.length,
    });
    return;
  }
  const { type, ...rest } = event;
  log({ ...context, event: type, ...rest });
}
