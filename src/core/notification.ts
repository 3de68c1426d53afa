/**
 * The document sent to `--notify` targets for each rollout or scaling outcome. Pure: the caller
 * gives the time. The envelope (`kind`, `version`) lets receivers check what they parse; `text` is a
 * one-line summary in Slack's message format, so a Slack incoming webhook can take the document as is.
 */
export const NOTIFICATION_KIND = 'ecs-roll-notification';
/** Raised when a field changes meaning or goes away; new optional fields keep the version. */
export const NOTIFICATION_VERSION = 1;

export type NotificationOutcome = 'started' | 'completed' | 'failed' | 'rolled-back' | 'ignored';
export type NotificationOperation = 'rollout' | 'scale';
/** Who acted: a CLI run, the webhook worker (a push), or the worker's alarm path. */
export type NotificationSource = 'cli' | 'webhook' | 'alarm';

export interface NotifiedService {
  readonly cluster: string;
  readonly service: string;
  /** The service's own outcome (`completed`, `rolled-back`, `failed`, …), as in the rollout result. */
  readonly outcome?: string;
  readonly reason?: string;
  /** The diagnosis of a failed service: its cause and one-sentence summary. */
  readonly cause?: string;
  readonly summary?: string;
  /** `scale`: the desired count before and after. */
  readonly desiredCount?: { readonly from: number; readonly to: number };
}

/** What happened, as the executor, the worker or the alarm path saw it. */
export interface OutcomeNotice {
  readonly operation: NotificationOperation;
  readonly outcome: NotificationOutcome;
  readonly source: NotificationSource;
  /** The image rolled out (rollouts). */
  readonly image?: string;
  /** The push time (epoch seconds) recorded on the revisions: with image and outcome, it identifies a document. */
  readonly pushedAt?: number;
  /** The alarm that asked for a scale. */
  readonly alarm?: string;
  /** Why it failed or was ignored. */
  readonly reason?: string;
  readonly services: readonly NotifiedService[];
}

export interface NotificationDocument {
  readonly kind: typeof NOTIFICATION_KIND;
  readonly version: typeof NOTIFICATION_VERSION;
  readonly operation: NotificationOperation;
  readonly outcome: NotificationOutcome;
  readonly source: NotificationSource;
  /** ISO 8601, when the document was built. */
  readonly time: string;
  readonly image?: string;
  readonly pushedAt?: number;
  readonly alarm?: string;
  readonly reason?: string;
  readonly services: readonly NotifiedService[];
  /** Services left out to keep the document small (see MAX_SERVICES). */
  readonly servicesOmitted?: number;
  readonly text: string;
}

/**
 * Bounds that keep a document far below SNS's 256 KB message limit ("at most 256 KB in size
 * (262,144 bytes)", https://docs.aws.amazon.com/sns/latest/api/API_Publish.html) and chat tools'
 * message sizes: at most 50 services, reasons of at most 500 characters, and fewer services when
 * their text is still too large.
 */
export const MAX_SERVICES = 50;
export const MAX_REASON_CHARS = 500;
/** Services named in `text` before "and n more". */
const MAX_NAMED_IN_TEXT = 5;
export const MAX_DOCUMENT_BYTES = 262_144;

function clip(text: string, limit = MAX_REASON_CHARS): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function clipService(service: NotifiedService): NotifiedService {
  return {
    cluster: clip(service.cluster, 255),
    service: clip(service.service, 255),
    ...(service.outcome === undefined ? {} : { outcome: clip(service.outcome, 40) }),
    ...(service.reason === undefined ? {} : { reason: clip(service.reason) }),
    ...(service.cause === undefined ? {} : { cause: clip(service.cause, 80) }),
    ...(service.summary === undefined ? {} : { summary: clip(service.summary) }),
    ...(service.desiredCount === undefined ? {} : { desiredCount: service.desiredCount }),
  };
}

/** Slack's message format gives &, < and > meaning; escaped, text from ECS cannot form links or mentions. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function names(services: readonly NotifiedService[]): string {
  const named = services.slice(0, MAX_NAMED_IN_TEXT).map((service) => `${service.cluster}/${service.service}`);
  const more = services.length - named.length;
  return more > 0 ? `${named.join(', ')} and ${more} more` : named.join(', ');
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The first reason a failed service gives: its diagnosis summary, else ECS's reason. */
function firstReason(notice: OutcomeNotice): string | undefined {
  if (notice.reason !== undefined) return notice.reason;
  const failed = notice.services.find((service) => service.summary !== undefined || service.reason !== undefined);
  if (failed === undefined) return undefined;
  return `${failed.cluster}/${failed.service}: ${failed.summary ?? failed.reason}`;
}

const ICON: Readonly<Record<NotificationOutcome, string>> = {
  started: ':arrow_forward:',
  completed: ':white_check_mark:',
  failed: ':x:',
  'rolled-back': ':leftwards_arrow_with_hook:',
  ignored: ':information_source:',
};

function rolloutSentence(notice: OutcomeNotice): string {
  const image = notice.image ?? 'the image';
  const on = notice.services.length === 0 ? '' : ` on ${plural(notice.services.length, 'service')} (${names(notice.services)})`;
  const why = firstReason(notice);
  switch (notice.outcome) {
    case 'started':
      return `rolling out ${image}${on}`;
    case 'completed':
      return notice.services.length === 0 ? `${image}: nothing to change` : `${image} is out${on}`;
    case 'failed':
      return `rollout of ${image} failed${why === undefined ? '' : `: ${why}`}`;
    case 'rolled-back':
      return `rollout of ${image} was rolled back${on}`;
    case 'ignored':
      return `${image} ignored${why === undefined ? '' : `: ${why}`}`;
  }
}

function scaleSentence(notice: OutcomeNotice): string {
  const [first] = notice.services;
  const label = first === undefined ? 'a service' : `${first.cluster}/${first.service}`;
  const counts = first?.desiredCount === undefined ? '' : ` from ${first.desiredCount.from} to ${first.desiredCount.to} tasks`;
  const alarm = notice.alarm === undefined ? '' : ` (alarm ${notice.alarm})`;
  const why = firstReason(notice);
  switch (notice.outcome) {
    case 'started':
      return `scaling ${label}${counts}${alarm}`;
    case 'completed':
      return `scaled ${label}${counts}${alarm}`;
    case 'failed':
      return `scaling ${label}${alarm} failed${why === undefined ? '' : `: ${why}`}`;
    case 'rolled-back':
      return `scaling ${label}${alarm} was undone`;
    case 'ignored':
      return `scaling ${label}${alarm} not done${why === undefined ? '' : `: ${why}`}`;
  }
}

export function notificationText(notice: OutcomeNotice): string {
  const sentence = notice.operation === 'rollout' ? rolloutSentence(notice) : scaleSentence(notice);
  return `${ICON[notice.outcome]} ecs-roll: ${escapeSlack(clip(sentence, 2000))}`;
}

export function buildNotification(notice: OutcomeNotice, now: Date): NotificationDocument {
  const clipped: OutcomeNotice = { ...notice, ...(notice.reason === undefined ? {} : { reason: clip(notice.reason) }) };
  const build = (kept: number): NotificationDocument => {
    const services = notice.services.slice(0, kept).map(clipService);
    const omitted = notice.services.length - services.length;
    return {
      kind: NOTIFICATION_KIND,
      version: NOTIFICATION_VERSION,
      operation: notice.operation,
      outcome: notice.outcome,
      source: notice.source,
      time: now.toISOString(),
      ...(notice.image === undefined ? {} : { image: clip(notice.image, 512) }),
      ...(notice.pushedAt === undefined ? {} : { pushedAt: notice.pushedAt }),
      ...(notice.alarm === undefined ? {} : { alarm: clip(notice.alarm, 255) }),
      ...(clipped.reason === undefined ? {} : { reason: clipped.reason }),
      services,
      ...(omitted > 0 ? { servicesOmitted: omitted } : {}),
      // Built from every service, so the count in the sentence is the real one.
      text: notificationText({ ...clipped, services: notice.services }),
    };
  };
  // Characters JSON escapes (\u0000) or UTF-8 spreads over several bytes can still make 50 services large:
  // fewer services then, until the document fits well inside the limit whatever the text.
  let kept = Math.min(MAX_SERVICES, notice.services.length);
  let document = build(kept);
  while (kept > 0 && utf8Bytes(JSON.stringify(document)) > MAX_DOCUMENT_BYTES / 2) {
    kept = Math.floor(kept / 2);
    document = build(kept);
  }
  return document;
}

/** UTF-8 length without Buffer (core runs anywhere). */
function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}
