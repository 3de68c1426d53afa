import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { createHash } from 'node:crypto';
import type { NotificationDocument } from '../core/notification.js';
import type { NotifyTarget } from '../core/notify-target.js';
import { clientConfig, type AwsConfig } from '../aws/config.js';

const clients = new Map<string, SNSClient>();

/**
 * One sns:Publish of the document to the topic, in the topic's own region. One attempt (no SDK
 * retries): a notification must not hold the run, and a second attempt could deliver twice.
 * The message is the document itself, well below Publish's 256 KB limit (see MAX_SERVICES);
 * a FIFO topic needs a MessageGroupId and, without content-based deduplication, a deduplication id.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
export async function publishToTopic(
  aws: AwsConfig,
  target: Extract<NotifyTarget, { kind: 'sns' }>,
  body: string,
  document: NotificationDocument,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<void> {
  let client = clients.get(target.region);
  if (client === undefined) {
    client = new SNSClient({ ...clientConfig({ ...aws, region: target.region }, { requestTimeoutMs: timeoutMs }), maxAttempts: 1 });
    clients.set(target.region, client);
  }
  await client.send(
    new PublishCommand({
      TopicArn: target.topicArn,
      Message: body,
      // Email subscribers see it as the subject (at most 100 characters).
      Subject: `ecs-roll: ${document.operation} ${document.outcome}`,
      ...(target.fifo
        ? {
            MessageGroupId: 'ecs-roll',
            MessageDeduplicationId: createHash('sha256')
              .update(
                `${document.operation}\u0000${document.image ?? ''}\u0000${document.pushedAt ?? ''}\u0000${document.outcome}\u0000${document.time}`,
              )
              .digest('hex'),
          }
        : {}),
    }),
    { abortSignal: signal },
  );
}
