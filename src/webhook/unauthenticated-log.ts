import type { LogLine } from './log.js';

/** At most this many unauthenticated-request lines per window; the rest are counted in one line. */
export const UNAUTHENTICATED_LINES_PER_WINDOW = 20;
export const UNAUTHENTICATED_WINDOW_MS = 60_000;

/**
 * Logs requests that did not present the token, with their source address, so a probe can be traced;
 * a flood is rate-limited to a few lines a minute plus one count of what was left out, so it cannot
 * fill the logs (or the CloudWatch bill). Never logs the path: a near miss may carry most of the token.
 */
export function createUnauthenticatedLog(
  log: LogLine,
  now: () => number = Date.now,
): (fields: { status: number; source: string | undefined; method: string }) => void {
  let windowStart = Number.NEGATIVE_INFINITY;
  let written = 0;
  let suppressed = 0;
  return ({ status, source, method }) => {
    const time = now();
    if (time - windowStart >= UNAUTHENTICATED_WINDOW_MS) {
      if (suppressed > 0) {
        log({ level: 'warn', event: 'webhook-unauthenticated-suppressed', count: suppressed, windowSeconds: UNAUTHENTICATED_WINDOW_MS / 1000 });
      }
      windowStart = time;
      written = 0;
      suppressed = 0;
    }
    if (written >= UNAUTHENTICATED_LINES_PER_WINDOW) {
      suppressed += 1;
      return;
    }
    written += 1;
    const last = written === UNAUTHENTICATED_LINES_PER_WINDOW;
    log({
      level: 'warn',
      event: 'webhook-unauthenticated',
      status,
      method: method.slice(0, 16),
      source: source ?? 'unknown',
      ...(last ? { note: `further unauthenticated requests in the next ${UNAUTHENTICATED_WINDOW_MS / 1000} s are counted, not logged` } : {}),
    });
  };
}
