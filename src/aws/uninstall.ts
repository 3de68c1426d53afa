/**
 * `uninstall` through the SDK: everything install made, in the order that stops new work first (the
 * API, the ECR rule, the alarm topic, the queues), then the functions, the role and the log groups.
 * What another tool or install owns, or what a function left in place still uses, stays.
 */
import { DeleteRestApiCommand } from '@aws-sdk/client-api-gateway';
import { DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DeleteRoleCommand, DeleteRolePolicyCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import { DeleteFunctionCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { DeleteTopicCommand } from '@aws-sdk/client-sns';
import { OperationFailedError } from '../core/errors.js';
import { FUNCTION_ROLES, INSTALL_TAG, installNames, type FunctionRole } from '../core/install-names.js';
import { notifyParameterName } from '../core/install-notify.js';
import type { AwsConfig } from './config.js';
import { isErrorNamed } from './errors.js';
import { functionTags } from './function-tags.js';
import { orMissing, tagRecord, withClients, type InstallClients } from './install-clients.js';
import { findApis, findTopicArn, topicSubscriptions, topicTags } from './install-read.js';

export type RemovalStatus = 'deleted' | 'already gone' | 'not ours, left alone';

export interface RemovalReport {
  readonly kind:
    | 'rest-api'
    | 'eventbridge-rule'
    | 'lambda-permission'
    | 'sns-topic'
    | 'lambda-function'
    | 'iam-role-policy'
    | 'iam-role'
    | 'log-group'
    | 'sqs-queue'
    | 'event-source-mapping'
    | 'ssm-parameter';
  readonly name: string;
  readonly id?: string;
  readonly status: RemovalStatus;
  readonly reason?: string;
  /** For the topic: how many subscriptions went with it. */
  readonly subscriptions?: number;
}

export async function runUninstall(request: { aws: AwsConfig; name: string; signal: AbortSignal }): Promise<RemovalReport[]> {
  return withClients(request.aws, (clients) => uninstall(clients, request));
}

async function uninstall(clients: InstallClients, request: { aws: AwsConfig; name: string; signal: AbortSignal }): Promise<RemovalReport[]> {
  const names = installNames(request.name);
  const removed: RemovalReport[] = [];

  // The API first: it stops taking webhooks before the functions behind it go.
  const apis = await findApis(clients, names);
  if (apis.length === 0) removed.push({ kind: 'rest-api', name: names.api, status: 'already gone' });
  for (const api of apis) {
    if (api.id === undefined) continue;
    const gone = await orMissing(clients.apigw.send(new DeleteRestApiCommand({ restApiId: api.id })), 'NotFoundException');
    removed.push({ kind: 'rest-api', name: names.api, id: api.id, status: gone === undefined ? 'already gone' : 'deleted' });
  }

  // The ECR rule: nothing more comes from EventBridge.
  const { removeEcrTrigger } = await import('./install-ecr-trigger.js');
  removed.push(...(await removeEcrTrigger(request.aws, names.install, names.functions.worker)));

  // The alarm topic, before the worker it delivers to; DeleteTopic takes its subscriptions with it.
  // DeleteTopic also succeeds for a topic that does not exist, so "already gone" comes from ListTopics.
  const topicArnFound = await findTopicArn(clients, names.topic);
  if (topicArnFound === undefined) {
    removed.push({ kind: 'sns-topic', name: names.topic, status: 'already gone' });
  } else {
    const tags = await orMissing(topicTags(clients, topicArnFound), 'NotFoundException', 'NotFound', 'ResourceNotFoundException');
    if (tags === undefined) {
      removed.push({ kind: 'sns-topic', name: names.topic, id: topicArnFound, status: 'already gone' });
    } else if (tags[INSTALL_TAG] !== names.install) {
      removed.push({
        kind: 'sns-topic',
        name: names.topic,
        id: topicArnFound,
        status: 'not ours, left alone',
        reason: `no tag ${INSTALL_TAG}=${names.install}`,
      });
    } else {
      const subscriptions = await orMissing(topicSubscriptions(clients, topicArnFound), 'NotFoundException', 'NotFound');
      await clients.sns.send(new DeleteTopicCommand({ TopicArn: topicArnFound }));
      removed.push({ kind: 'sns-topic', name: names.topic, id: topicArnFound, status: 'deleted', subscriptions: subscriptions?.length ?? 0 });
    }
  }

  // The queues and their mappings: nothing more reaches the worker.
  const { removeQueues } = await import('./install-queues.js');
  removed.push(...(await removeQueues(request.aws, names.install, names.functions.worker)));

  // The functions; their resource policies (the API Gateway and alarm permissions) go with them.
  const foreign = new Set<FunctionRole>();
  // A function left in place keeps running as its role: that role must stay, whoever made it.
  const rolesInUse = new Map<string, string>();
  for (const role of ['receiver', 'worker'] as const) {
    const name = names.functions[role];
    const answer = await orMissing(clients.lambda.send(new GetFunctionCommand({ FunctionName: name })), 'ResourceNotFoundException');
    if (answer === undefined) {
      removed.push({ kind: 'lambda-function', name, status: 'already gone' });
    } else if ((await functionTags(clients.lambda, answer))[INSTALL_TAG] !== names.install) {
      removed.push({ kind: 'lambda-function', name, status: 'not ours, left alone', reason: `no tag ${INSTALL_TAG}=${names.install}` });
      foreign.add(role);
      if (answer.Configuration?.Role !== undefined) rolesInUse.set(answer.Configuration.Role, name);
    } else {
      const gone = await orMissing(clients.lambda.send(new DeleteFunctionCommand({ FunctionName: name })), 'ResourceNotFoundException');
      removed.push({ kind: 'lambda-function', name, status: gone === undefined ? 'already gone' : 'deleted' });
    }
  }

  // The notification URLs, once no function of the install reads them; reported only when there were some.
  if (foreign.size === 0) {
    const { removeNotifyParameter } = await import('./install-notify.js');
    if ((await removeNotifyParameter(request.aws, names.install)) === 'deleted') {
      removed.push({ kind: 'ssm-parameter', name: notifyParameterName(names.install), status: 'deleted' });
    }
  }

  // The role: its inline policy first, as IAM refuses to delete a role that still has one.
  const role = await orMissing(clients.iam.send(new GetRoleCommand({ RoleName: names.role })), 'NoSuchEntityException');
  if (role === undefined) {
    removed.push({ kind: 'iam-role-policy', name: names.policy, status: 'already gone' });
    removed.push({ kind: 'iam-role', name: names.role, status: 'already gone' });
  } else if (tagRecord(role.Role?.Tags)[INSTALL_TAG] !== names.install) {
    removed.push({ kind: 'iam-role', name: names.role, status: 'not ours, left alone', reason: `no tag ${INSTALL_TAG}=${names.install}` });
  } else if (role.Role?.Arn !== undefined && rolesInUse.has(role.Role.Arn)) {
    removed.push({
      kind: 'iam-role',
      name: names.role,
      status: 'not ours, left alone',
      reason: `Lambda function ${rolesInUse.get(role.Role.Arn) ?? '?'}, which is not this install's and stays, still runs as it`,
    });
  } else {
    const policy = await orMissing(
      clients.iam.send(new DeleteRolePolicyCommand({ RoleName: names.role, PolicyName: names.policy })),
      'NoSuchEntityException',
    );
    removed.push({ kind: 'iam-role-policy', name: names.policy, status: policy === undefined ? 'already gone' : 'deleted' });
    try {
      const gone = await orMissing(clients.iam.send(new DeleteRoleCommand({ RoleName: names.role })), 'NoSuchEntityException');
      removed.push({ kind: 'iam-role', name: names.role, status: gone === undefined ? 'already gone' : 'deleted' });
    } catch (error) {
      if (!isErrorNamed(error, 'DeleteConflictException')) throw error;
      throw new OperationFailedError(
        `IAM role ${names.role} still has policies that install did not put there; detach them and run uninstall again`,
        { cause: error },
      );
    }
  }

  // The functions' log groups: named for functions that were this install's.
  for (const role of FUNCTION_ROLES) {
    const name = names.logGroups[role];
    if (foreign.has(role)) {
      removed.push({ kind: 'log-group', name, status: 'not ours, left alone', reason: `its function is not this install's` });
      continue;
    }
    const gone = await orMissing(clients.logs.send(new DeleteLogGroupCommand({ logGroupName: name })), 'ResourceNotFoundException');
    removed.push({ kind: 'log-group', name, status: gone === undefined ? 'already gone' : 'deleted' });
  }
  return removed;
}
