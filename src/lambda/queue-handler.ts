/**
 * The worker's queue side: Lambda's SQS event source mappings deliver one message per invocation
 * (BatchSize 1) from the pushes queue (FIFO, one message group per repository, so one repository's
 * pushes run one at a time in push order) and from the follow queue ("check again" messages).
 * A message whose handling throws is reported in batchItemFailures: it comes back after a short
 * backoff and, after maxReceiveCount receives, SQS moves it to the dead-letter queue that
 * `ecs-roll webhook status` shows. https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
import type { AwsConfig } from '../aws/config.js';
import { parseAlarmRecheck, type AlarmRecheck } from '../core/alarm-recheck.js';
import { nextDelaySeconds, parseFollowJob, type FollowJob } from '../core/follow.js';
import { ENV, type WebhookConfig } from '../webhook/config.js';
import type { LogLine } from '../webhook/log.js';
import { parseJob, type RolloutJob } from '../webhook/receiver.js';
import { workerSqs } from './clients.js';

export interface SqsRecord {
  readonly messageId: string;
  readonly receiptHandle?: string;
  readonly body: string;
  readonly eventSource?: string;
  readonly eventSourceARN?: string;
  readonly attributes?: Readonly<Record<string, string>>;
}

export interface SqsEvent {
  readonly Records: readonly SqsRecord[];
}

export interface BatchResponse {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

export function isSqsEvent(event: unknown): event is SqsEvent {
  if (typeof event !== 'object' || event === null) return false;
  const records = (event as { Records?: unknown }).Records;
  return Array.isArray(records) && records.length > 0 && records.every((record) => (record as SqsRecord | undefined)?.eventSource === 'aws:sqs');
}

/** A failed message is seen again after this many seconds times its receive count (not the queue's long visibility timeout). */
const RETRY_BACKOFF_SECONDS = 2;

const queueUrls = new Map<string, Promise<string>>();

/** One client per execution environment (see clients.ts). */
const sqsClient = workerSqs;

/** The queue's URL from its name (the environment names queues; GetQueueUrl answers the URL for the endpoint in use). */
export async function queueUrl(name: string): Promise<string> {
  let url = queueUrls.get(name);
  if (url === undefined) {
    url = (async () => {
      const { GetQueueUrlCommand } = await import('@aws-sdk/client-sqs');
      const answer = await (await sqsClient()).send(new GetQueueUrlCommand({ QueueName: name }));
      if (answer.QueueUrl === undefined) throw new Error(`GetQueueUrl ${name} answered without a URL`);
      return answer.QueueUrl;
    })();
    queueUrls.set(name, url);
    url.catch(() => queueUrls.delete(name));
  }
  return url;
}

/** The follow queue is a standard queue: per-message DelaySeconds (≤ 900) works only there. */
export function followSender(config: WebhookConfig, env: NodeJS.ProcessEnv): (job: FollowJob) => Promise<void> {
  return async (job) => {
    const name = env[ENV.followQueue];
    if (name === undefined || name === '') throw new Error(`${ENV.followQueue} is not set`);
    const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
    await (await sqsClient()).send(
      new SendMessageCommand({
        QueueUrl: await queueUrl(name),
        MessageBody: JSON.stringify(job),
        DelaySeconds: nextDelaySeconds(config.pollIntervalSeconds),
      }),
    );
  };
}

export interface QueueHandlers {
  push(job: RolloutJob): Promise<unknown>;
  follow(job: FollowJob): Promise<unknown>;
  /** The alarm path's own note on the follow queue (src/core/alarm-recheck.ts). */
  alarmRecheck?(note: AlarmRecheck): Promise<unknown>;
}

/** Sends an alarm re-check note to the follow queue, delayed until the cooldown ends (at most 900 s at a time). */
export function alarmRecheckSender(env: NodeJS.ProcessEnv): ((note: AlarmRecheck, delaySeconds: number) => Promise<void>) | undefined {
  const name = env[ENV.followQueue];
  if (name === undefined || name === '') return undefined;
  return async (note, delaySeconds) => {
    const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
    await (await sqsClient()).send(
      new SendMessageCommand({ QueueUrl: await queueUrl(name), MessageBody: JSON.stringify(note), DelaySeconds: delaySeconds }),
    );
  };
}

export async function handleSqsEvent(event: SqsEvent, handlers: QueueHandlers, log: LogLine): Promise<BatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    try {
      let body: unknown;
      try {
        body = JSON.parse(record.body);
      } catch {
        throw new Error('the message body is not JSON');
      }
      const push = parseJob(body);
      const follow = push === undefined ? parseFollowJob(body) : undefined;
      const recheck = push === undefined && follow === undefined ? parseAlarmRecheck(body) : undefined;
      if (push !== undefined) await handlers.push(push);
      else if (follow !== undefined) await handlers.follow(follow);
      else if (recheck !== undefined && handlers.alarmRecheck !== undefined) await handlers.alarmRecheck(recheck);
      else throw new Error('the message is neither a push job, a follow message nor an alarm re-check');
    } catch (error) {
      const receives = Number(record.attributes?.ApproximateReceiveCount ?? '1');
      log({
        level: 'error',
        event: 'message-failed',
        messageId: record.messageId,
        receives,
        message: error instanceof Error ? error.message : String(error),
      });
      failures.push({ itemIdentifier: record.messageId });
      await retrySoon(record, receives, log);
    }
  }
  return { batchItemFailures: failures };
}

/** Shortens the failed message's invisibility, so a FIFO group is not held for the queue's whole visibility timeout. */
async function retrySoon(record: SqsRecord, receives: number, log: LogLine): Promise<void> {
  const name = record.eventSourceARN?.split(':')[5];
  if (name === undefined || record.receiptHandle === undefined) return;
  try {
    const { ChangeMessageVisibilityCommand } = await import('@aws-sdk/client-sqs');
    await (await sqsClient()).send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: await queueUrl(name),
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: Math.min(900, RETRY_BACKOFF_SECONDS * receives),
      }),
    );
  } catch (error) {
    log({ level: 'warn', event: 'retry-delay-failed', messageId: record.messageId, message: error instanceof Error ? error.message : String(error) });
  }
}

export type { AwsConfig };
