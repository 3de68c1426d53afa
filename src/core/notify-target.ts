import { UsageError } from './errors.js';

/**
 * Where outcome notifications go (`--notify`): an SNS topic (sns:Publish) or a URL that receives a
 * JSON POST. A URL is a secret (Slack's incoming webhooks and most chat hooks carry their credential
 * in the path), so it is shown only through `describeTarget`, which keeps scheme and host.
 */
export type NotifyTarget =
  | { readonly kind: 'sns'; readonly topicArn: string; readonly region: string; readonly fifo: boolean }
  | { readonly kind: 'url'; readonly url: string };

/** arn:partition:sns:region:account:topic, the topic name as CreateTopic allows it (1-256 of A-Za-z0-9_-, `.fifo` for FIFO topics). */
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256}?)(\.fifo)?$/;

/** Plain http is accepted only to the machine itself: a receiver a test starts. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Checks one `--notify` value; a bad one is a usage error (exit 2) before anything talks to AWS. */
export function parseNotifyTarget(value: string, option = '--notify'): NotifyTarget {
  const text = value.trim();
  const arn = TOPIC_ARN.exec(text);
  if (arn !== null) return { kind: 'sns', topicArn: text, region: arn[1] ?? '', fifo: arn[4] !== undefined };
  if (text.startsWith('arn:')) {
    throw new UsageError(
      `${option} takes an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>) or an https URL; the ARN given is not an SNS topic's`,
    );
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The value itself is not echoed: it may be a secret URL with a typo.
    throw new UsageError(`${option} takes an https URL or an SNS topic ARN; the value given is neither`);
  }
  if (url.protocol === 'https:' && url.hostname !== '') return { kind: 'url', url: url.href };
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return { kind: 'url', url: url.href };
  if (url.protocol === 'http:') {
    throw new UsageError(`${option} must use https (plain http is allowed only to localhost), got a URL to http://${url.host}`);
  }
  throw new UsageError(`${option} must be an https URL or an SNS topic ARN, got a ${url.protocol.replace(/:$/, '')} URL`);
}

/** Every `--notify` value, duplicates dropped (a target given twice gets each document once). */
export function parseNotifyTargets(values: readonly string[] | undefined, option = '--notify'): NotifyTarget[] {
  const targets: NotifyTarget[] = [];
  for (const value of values ?? []) {
    const target = parseNotifyTarget(value, option);
    if (!targets.some((known) => targetKey(known) === targetKey(target))) targets.push(target);
  }
  return targets;
}

export function targetKey(target: NotifyTarget): string {
  return target.kind === 'sns' ? target.topicArn : target.url;
}

/** What may be printed or logged: a topic ARN (not a secret), or a URL's scheme and host with the rest masked. */
export function describeTarget(target: NotifyTarget): string {
  if (target.kind === 'sns') return target.topicArn;
  const url = new URL(target.url);
  return `${url.protocol}//${url.host}/[redacted]`;
}
