/** install's CloudWatch Logs handler: the functions' log groups and their retention. */
import { CreateLogGroupCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { ActionOf, ApplyContext, Learned, ServiceHandler } from './context.js';

type LogsKind = 'create-log-group' | 'put-retention';

export function logsHandler(context: ApplyContext): ServiceHandler<LogsKind> {
  const { logs } = context.clients;
  return {
    kinds: ['create-log-group', 'put-retention'],
    async apply(action: ActionOf<LogsKind>): Promise<Learned> {
      if (action.kind === 'create-log-group') {
        await logs.send(new CreateLogGroupCommand({ logGroupName: action.logGroup, tags: { ...action.tags } }));
      }
      await logs.send(new PutRetentionPolicyCommand({ logGroupName: action.logGroup, retentionInDays: action.retentionDays }));
      return {};
    },
  };
}
