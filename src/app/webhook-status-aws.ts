import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { clientConfig, type AwsConfig } from '../aws/config.js';
import { systemClock } from '../core/ports.js';
import type { WebhookStatusPorts } from './webhook-status.js';

/** `webhook status`'s reads through the SDK: SQS for the queues, CloudWatch Logs for the worker's log. Close it after. */
export function openWebhookStatusPorts(aws: AwsConfig): WebhookStatusPorts & { close(): void } {
  const sqs = new SQSClient(clientConfig(aws));
  const logs = new CloudWatchLogsClient(clientConfig(aws));
  return {
    clock: systemClock,
    queueUrl: (name) =>
      sqs.send(new GetQueueUrlCommand({ QueueName: name })).then(
        (answer) => answer.QueueUrl,
        () => undefined,
      ),
    async queueCounts(url) {
      const attributes =
        (
          await sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: url,
              AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
            }),
          )
        ).Attributes ?? {};
      return {
        waiting: Number(attributes.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0),
      };
    },
    async peek(url, max) {
      // VisibilityTimeout 0: looking does not hide the message from the next look (or from a redrive).
      const answer = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: max,
          VisibilityTimeout: 0,
          MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
        }),
      );
      return answer.Messages ?? [];
    },
    async finishedLines(group, since) {
      const answer = await logs
        .send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: '"job-finished"', startTime: since }))
        .catch(() => undefined);
      return answer?.events ?? [];
    },
    close() {
      sqs.destroy();
      logs.destroy();
    },
  };
}
