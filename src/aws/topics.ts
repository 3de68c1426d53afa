import { paginateListTopics, type SNSClient } from '@aws-sdk/client-sns';
import { lastColonSegment } from '../core/arn.js';

/**
 * The ARN of the topic called `name` in the client's account and region, or undefined. SNS has no lookup by
 * name: ListTopics pages through every topic (100 a page), and the name is the ARN's last part.
 * https://docs.aws.amazon.com/sns/latest/api/API_ListTopics.html
 */
export async function findTopicArn(sns: SNSClient, name: string): Promise<string | undefined> {
  for await (const page of paginateListTopics({ client: sns }, {})) {
    const found = (page.Topics ?? []).find((topic) => topic.TopicArn !== undefined && lastColonSegment(topic.TopicArn) === name);
    if (found?.TopicArn !== undefined) return found.TopicArn;
  }
  return undefined;
}
