/**
 * Sends outcome documents to `--notify` targets. A notification is a courtesy: it never fails, and
 * never noticeably slows, the rollout it reports. Each delivery is one attempt bounded by a few
 * seconds (no retries, so a broken target causes no storm); documents to one target go one after
 * the other, so "started" arrives before "completed"; a target that timed out once is skipped for
 * the rest of the run; and `flush` waits for what is in flight for a bounded time, then gives up.
 * Targets appear in logs only as `describeTarget` shows them (a URL is a secret).
 */
import { buildNotification, type NotificationDocument, type OutcomeNotice } from '../core/notification.js';
import { describeTarget, targetKey, type NotifyTarget } from '../core/notify-target.js';
import { redactor } from '../core/redact.js';
import type { AwsConfig } from '../aws/config.js';

/** One delivery's bound, and how long `flush` waits for the rest once the run is over. */
export const NOTIFY_TIMEOUT_MS = 5_000;

const FLUSH_MARGIN_MS = 250;

export interface NotifyLogFields {
  readonly level: 'info' | 'warn';
  readonly event: 'notified' | 'notify-failed' | 'notify-skipped';
  /** As describeTarget shows it. */
  readonly target: string;
  readonly outcome: string;
  readonly message?: string;
}

export type NotifyLog = (fields: NotifyLogFields) => void;

/** Delivers one document; rejects on any failure. The signal aborts it at the bound. */
export type Deliver = (target: NotifyTarget, body: string, document: NotificationDocument, signal: AbortSignal) => Promise<void>;

export interface Notifier {
  /** Builds the document and queues it for every target; returns at once. */
  notify(notice: OutcomeNotice): void;
  /** Waits for the documents in flight, at most the delivery bound; what is still unsent then is dropped and logged. */
  flush(): Promise<void>;
}

export interface NotifierOptions {
  readonly aws?: AwsConfig;
  readonly log: NotifyLog;
  readonly timeoutMs?: number;
  readonly now?: () => Date;
  /** Tests replace the network; everything else uses HTTPS POST and sns:Publish. */
  readonly deliver?: Deliver;
}

/** A notifier that does nothing: no targets, nothing to load. */
export const NO_NOTIFIER: Notifier = { notify: () => {}, flush: async () => {} };

export function createNotifier(targets: readonly NotifyTarget[], options: NotifierOptions): Notifier {
  if (targets.length === 0) return NO_NOTIFIER;
  const timeoutMs = options.timeoutMs ?? NOTIFY_TIMEOUT_MS;
  const now = options.now ?? (() => new Date());
  const deliver = options.deliver ?? defaultDeliver(options.aws ?? {}, timeoutMs);
  // A message from the network could echo the URL (a proxy's error page, say): masked before it is logged.
  const mask = redactor(
    targets.flatMap((target) => (target.kind === 'url' ? [target.url, new URL(target.url).pathname, new URL(target.url).search] : [])),
  );
  const chains = new Map<string, Promise<void>>();
  const unresponsive = new Set<string>();
  const giveUp = new AbortController();

  const send = async (target: NotifyTarget, document: NotificationDocument, body: string): Promise<void> => {
    const shown = describeTarget(target);
    const key = targetKey(target);
    if (unresponsive.has(key) || giveUp.signal.aborted) {
      options.log({
        level: 'warn',
        event: 'notify-skipped',
        target: shown,
        outcome: document.outcome,
        message: giveUp.signal.aborted ? 'the run is over' : 'it did not answer earlier in this run',
      });
      return;
    }
    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), giveUp.signal]);
    try {
      await deliver(target, body, document, signal);
      options.log({ level: 'info', event: 'notified', target: shown, outcome: document.outcome });
    } catch (error) {
      const timedOut = signal.aborted && !giveUp.signal.aborted;
      if (timedOut) unresponsive.add(key);
      const message = giveUp.signal.aborted
        ? 'the run is over; given up'
        : timedOut
          ? `no answer within ${timeoutMs / 1000} s`
          : describeError(error);
      options.log({ level: 'warn', event: 'notify-failed', target: shown, outcome: document.outcome, message: mask(message) });
    }
  };

  return {
    notify(notice) {
      const document = buildNotification(notice, now());
      const body = JSON.stringify(document);
      for (const target of targets) {
        const key = targetKey(target);
        const previous = chains.get(key) ?? Promise.resolve();
        chains.set(
          key,
          previous.then(() => send(target, document, body)),
        );
      }
    },
    async flush() {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        // A little over one delivery's bound, so the document in flight when the run ended gets all of its own.
        timer = setTimeout(resolve, timeoutMs + FLUSH_MARGIN_MS);
      });
      await Promise.race([Promise.allSettled([...chains.values()]), bound]);
      clearTimeout(timer);
      // Whatever is still queued or in flight is logged as skipped or failed, then dropped.
      giveUp.abort();
      await Promise.allSettled([...chains.values()]);
    },
  };
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch says "fetch failed" and puts the reason (ECONNREFUSED, a TLS error) in its cause.
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message;
  if (detail !== undefined) return `${error.message} (${detail})`;
  return error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
}

function defaultDeliver(aws: AwsConfig, timeoutMs: number): Deliver {
  return async (target, body, document, signal) => {
    if (target.kind === 'url') return postJson(target.url, body, signal);
    const { publishToTopic } = await import('./sns.js');
    return publishToTopic(aws, target, body, document, signal, timeoutMs);
  };
}

/** One POST; any answer but 2xx is a failure. Redirects are not followed: the document goes only where the URL says. */
async function postJson(url: string, body: string, signal: AbortSignal): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'ecs-roll' },
    body,
    redirect: 'manual',
    signal,
  });
  // The answer's body is not read (nothing in it matters), only released.
  await response.body?.cancel().catch(() => {});
  if (response.status < 200 || response.status > 299) throw new Error(`HTTP ${response.status}`);
}
