/**
 * The queues a webhook install runs on, as data: names, attributes and the role's SQS statements.
 *
 * - `<name>-pushes.fifo`: the receiver's hand-off. FIFO, one message group per repository: one
 *   repository's pushes are applied one at a time in push order, without reserved concurrency.
 * - `<name>-follow`: delayed "check again" messages (standard: only there may a message set its own
 *   DelaySeconds, ≤ 900).
 * - A dead-letter queue for each (a FIFO queue's must be FIFO), after MAX_RECEIVES receives.
 *
 * The visibility timeout is six times the worker's timeout, as Lambda's SQS guide asks, and never
 * shorter than it (Lambda refuses the mapping otherwise).
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 */
import { queueArn, type Location } from './arn.js';
import type { PolicyStatement } from './install-iam.js';

export { queueArn };

export const MAX_RECEIVES = 5;
/** 14 days: the longest SQS keeps a message, so a dead letter waits for someone to look. */
export const RETENTION_SECONDS = 1_209_600;
/** SQS's longest visibility timeout, 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;
/** One message per invocation: a failure is reported for that message alone. */
export const MAPPING_BATCH_SIZE = 1;

export type QueueRole = 'pushes' | 'pushesDead' | 'follow' | 'followDead';
export const QUEUE_ROLES: readonly QueueRole[] = ['pushesDead', 'followDead', 'pushes', 'follow'];

export function queueNames(install: string): Readonly<Record<QueueRole, string>> {
  return {
    pushes: `${install}-pushes.fifo`,
    pushesDead: `${install}-pushes-dead.fifo`,
    follow: `${install}-follow`,
    followDead: `${install}-follow-dead`,
  };
}

/** The attributes each queue is created with (and set back to on the next install). */
export function queueAttributes(role: QueueRole, at: Location, install: string, workerTimeoutSeconds: number): Record<string, string> {
  const names = queueNames(install);
  const fifo: Record<string, string> = role === 'pushes' || role === 'pushesDead' ? { FifoQueue: 'true', ContentBasedDeduplication: 'false' } : {};
  const common = { MessageRetentionPeriod: String(RETENTION_SECONDS), ...fifo };
  if (role === 'pushesDead' || role === 'followDead') return common;
  const deadLetters = queueArn(at, role === 'pushes' ? names.pushesDead : names.followDead);
  return {
    ...common,
    VisibilityTimeout: String(Math.min(MAX_VISIBILITY_SECONDS, Math.max(workerTimeoutSeconds, workerTimeoutSeconds * 6))),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetters, maxReceiveCount: MAX_RECEIVES }),
  };
}

/**
 * The worker's SQS statements, and only what the worker calls (src/lambda/queue-handler.ts): its event source
 * mappings poll both queues with its role (ReceiveMessage, DeleteMessage, GetQueueAttributes); a failed
 * message's invisibility is shortened on the queue it came from (GetQueueUrl for the URL, then
 * ChangeMessageVisibility); and it sends to the follow queue alone (follow messages and alarm re-checks).
 * Sending to the pushes queue is the receiver's, under its own role (receiverPolicyDocument in install-iam.ts).
 * Each of these actions takes the queue's ARN as its resource, so each is scoped to the install's queues:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html (the execution role's permissions for a mapping)
 */
export function queueStatements(at: Location, install: string): PolicyStatement[] {
  const names = queueNames(install);
  const pushes = queueArn(at, names.pushes);
  const follow = queueArn(at, names.follow);
  return [
    { Sid: 'QueueSendFollow', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: follow },
    {
      Sid: 'QueueConsume',
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl'],
      Resource: [pushes, follow],
    },
  ];
}
