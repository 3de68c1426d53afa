/**
 * `ecs-roll webhook status`: what a webhook install is doing, read from its queues and the worker's log
 * through the ports it is given (webhook-status-aws.ts reads them with the SDK). Pushes waiting or being
 * started (the pushes queue), rollouts being followed (the follow queue), messages SQS gave up on (the dead-letter queues, peeked without being consumed for good),
 * and how the latest rollouts ended (the worker's job-finished lines).
 */
import { parseAlarmRecheck } from '../core/alarm-recheck.js';
import { installNames } from '../core/install-plan.js';
import { queueNames, type QueueRole } from '../core/install-queues.js';
import type { Clock } from '../core/ports.js';

export const WEBHOOK_STATUS_VERSION = 1;

export interface QueueCounts {
  readonly name: string;
  readonly exists: boolean;
  /** Ready to be received. */
  readonly waiting: number;
  /** Received and not yet deleted: being worked on. */
  readonly inFlight: number;
  /** Sent with a delay that has not passed (follow messages between looks). */
  readonly delayed: number;
}

export interface DeadLetter {
  readonly queue: string;
  readonly messageId: string;
  readonly sentAt?: string;
  readonly receives?: number;
  /** The job the message carried, when it parses as one; otherwise the first 200 characters. */
  readonly image?: string;
  readonly pushedAt?: number;
  readonly kind?: string;
  /** An alarm re-check note (the alarm path's delayed look at the end of a cooldown): the alarm it was for. */
  readonly alarm?: string;
  readonly body?: string;
}

export interface FinishedRollout {
  readonly time: string;
  readonly image?: string;
  readonly pushedAt?: number;
  readonly ok?: boolean;
  readonly outcome?: string;
  readonly reason?: string;
  readonly services: readonly { readonly cluster?: string; readonly service?: string; readonly outcome?: string; readonly reason?: string }[];
}

export interface WebhookStatus {
  readonly version: typeof WEBHOOK_STATUS_VERSION;
  readonly kind: 'webhook-status';
  readonly name: string;
  readonly queues: Readonly<Record<QueueRole, QueueCounts>>;
  readonly deadLetters: readonly DeadLetter[];
  readonly recent: readonly FinishedRollout[];
}

/** At most this many dead letters are shown (ReceiveMessage answers 10 at a time). */
const DEAD_LETTERS_SHOWN = 10;
const RECENT_SHOWN = 20;

/** A message as SQS's ReceiveMessage answers it (the fields the status reads). */
export interface PeekedMessage {
  readonly MessageId?: string | undefined;
  readonly Body?: string | undefined;
  readonly Attributes?: Partial<Record<string, string>> | undefined;
}

/** A line of the worker's log as FilterLogEvents answers it. */
export interface LogLineRead {
  readonly message?: string | undefined;
  readonly timestamp?: number | undefined;
}

/** What `webhook status` reads: the install's queues and the worker's log. */
export interface WebhookStatusPorts {
  readonly clock: Clock;
  /** The queue's URL, or undefined when there is no such queue. */
  queueUrl(name: string): Promise<string | undefined>;
  /** ApproximateNumberOfMessages, …NotVisible and …Delayed. */
  queueCounts(url: string): Promise<Pick<QueueCounts, 'waiting' | 'inFlight' | 'delayed'>>;
  /** Up to `max` messages, looked at without hiding them from the next receive (or a redrive). */
  peek(url: string, max: number): Promise<readonly PeekedMessage[]>;
  /** The log's lines that mention job-finished since `since` (ms); none when the log cannot be read. */
  finishedLines(group: string, since: number): Promise<readonly LogLineRead[]>;
}

export async function readWebhookStatus(install: string, ports: WebhookStatusPorts): Promise<WebhookStatus> {
  const names = queueNames(install);
  const roles: QueueRole[] = ['pushes', 'follow', 'pushesDead', 'followDead'];
  const urls = new Map<QueueRole, string>();
  const counts = await Promise.all(
    roles.map(async (role): Promise<[QueueRole, QueueCounts]> => {
      const url = await ports.queueUrl(names[role]);
      if (url === undefined) return [role, { name: names[role], exists: false, waiting: 0, inFlight: 0, delayed: 0 }];
      urls.set(role, url);
      return [role, { name: names[role], exists: true, ...(await ports.queueCounts(url)) }];
    }),
  );
  const deadLetters: DeadLetter[] = [];
  for (const role of ['pushesDead', 'followDead'] as const) {
    const url = urls.get(role);
    if (url === undefined) continue;
    for (const message of await ports.peek(url, DEAD_LETTERS_SHOWN)) deadLetters.push(deadLetter(names[role], message));
  }
  return {
    version: WEBHOOK_STATUS_VERSION,
    kind: 'webhook-status',
    name: install,
    queues: Object.fromEntries(counts) as Record<QueueRole, QueueCounts>,
    deadLetters,
    recent: recentOutcomes(await ports.finishedLines(installNames(install).logGroups.worker, ports.clock.now() - 7 * 24 * 3600_000)),
  };
}

function deadLetter(queue: string, message: PeekedMessage): DeadLetter {
  const sent = Number(message.Attributes?.SentTimestamp);
  const base = {
    queue,
    messageId: message.MessageId ?? '',
    ...(Number.isFinite(sent) ? { sentAt: new Date(sent).toISOString() } : {}),
    ...(message.Attributes?.ApproximateReceiveCount === undefined ? {} : { receives: Number(message.Attributes.ApproximateReceiveCount) }),
  };
  try {
    const parsed: unknown = JSON.parse(message.Body ?? '');
    const recheck = parseAlarmRecheck(parsed);
    if (recheck !== undefined) return { ...base, kind: recheck.kind, alarm: recheck.alarmName };
    const body = (parsed ?? {}) as { image?: unknown; pushedAt?: unknown; kind?: unknown };
    if (typeof body.image === 'string') {
      return {
        ...base,
        image: body.image,
        ...(typeof body.pushedAt === 'number' ? { pushedAt: body.pushedAt } : {}),
        ...(typeof body.kind === 'string' ? { kind: body.kind } : {}),
      };
    }
  } catch {
    // Not JSON: shown as text below.
  }
  return { ...base, body: (message.Body ?? '').slice(0, 200) };
}

function recentOutcomes(events: readonly LogLineRead[]): FinishedRollout[] {
  const found: FinishedRollout[] = [];
  for (const event of events) {
    try {
      const line = JSON.parse(event.message ?? '') as Record<string, unknown>;
      if (line.event !== 'job-finished') continue;
      found.push({
        time: typeof line.time === 'string' ? line.time : new Date(event.timestamp ?? 0).toISOString(),
        ...(typeof line.job === 'string' ? { image: line.job } : {}),
        ...(typeof line.pushedAt === 'number' ? { pushedAt: line.pushedAt } : {}),
        ...(typeof line.ok === 'boolean' ? { ok: line.ok } : {}),
        ...(typeof line.outcome === 'string' ? { outcome: line.outcome } : {}),
        ...(typeof line.reason === 'string' ? { reason: line.reason } : {}),
        services: Array.isArray(line.services) ? (line.services as FinishedRollout['services']) : [],
      });
    } catch {
      // A line that is not one of ours.
    }
  }
  return found.slice(-RECENT_SHOWN);
}
