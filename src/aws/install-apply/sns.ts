/** install's SNS handler: the alarm topic and the worker's subscription to it. */
import { CreateTopicCommand, SetTopicAttributesCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { OperationFailedError } from '../../core/errors.js';
import { tagList } from '../install-clients.js';
import type { ActionOf, ApplyContext, Learned, ServiceHandler } from './context.js';

type SnsKind = 'create-topic' | 'set-topic-policy' | 'subscribe';

export function snsHandler(context: ApplyContext): ServiceHandler<SnsKind> {
  const { sns } = context.clients;
  return {
    kinds: ['create-topic', 'set-topic-policy', 'subscribe'],
    async apply(action: ActionOf<SnsKind>): Promise<Learned> {
      if (action.kind === 'create-topic') {
        const answer = await sns.send(new CreateTopicCommand({ Name: action.topic, Tags: tagList(action.tags) }));
        // The plan named the ARN in advance (the permission and the subscription use it); it must be this one.
        if (answer.TopicArn !== action.topicArn) {
          throw new OperationFailedError(`CreateTopic ${action.topic} answered ${answer.TopicArn ?? 'no ARN'}, not the expected ${action.topicArn}`);
        }
        return {};
      }
      if (action.kind === 'set-topic-policy') {
        await sns.send(
          new SetTopicAttributesCommand({ TopicArn: action.topicArn, AttributeName: 'Policy', AttributeValue: JSON.stringify(action.policy) }),
        );
        return {};
      }
      await sns.send(
        new SubscribeCommand({ TopicArn: action.topicArn, Protocol: action.protocol, Endpoint: action.endpoint, ReturnSubscriptionArn: true }),
      );
      return {};
    },
  };
}
