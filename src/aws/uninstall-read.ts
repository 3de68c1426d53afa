/** uninstall's readers: what of an install exists, and whose it is, changing nothing. */
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeRuleCommand, ListTagsForResourceCommand as EventsListTagsCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { GetRoleCommand, GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetFunctionCommand, GetPolicyCommand, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { GetQueueUrlCommand, ListQueueTagsCommand } from '@aws-sdk/client-sqs';
import { lastColonSegment } from '../core/arn.js';
import { ecrRuleName, EVENTS_PERMISSION_STATEMENT_ID } from '../core/ecr-trigger.js';
import { FUNCTION_ROLES, type FunctionRole, type InstallNames } from '../core/install-names.js';
import { QUEUE_ROLES, queueNames } from '../core/install-queues.js';
import type { ObservedRemoval, ObservedRole } from '../core/uninstall-plan.js';
import { isAwsError } from './errors.js';
import { functionTags } from './function-tags.js';
import { orMissing, tagRecord, type InstallClients } from './install-clients.js';
import { findApis, findTopicArn, observeManagedPolicies, topicSubscriptions, topicTags } from './install-read.js';
import { managedPolicyPath } from '../core/install-desired.js';

const NO_QUEUE = ['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'NonExistentQueue'];

export async function observeRemoval(
  clients: InstallClients,
  names: InstallNames,
  roles: readonly { name: string; policyName: string }[],
): Promise<ObservedRemoval> {
  const [apis, ecr, topic, mappings, queues, receiver, worker, roleStates, receiverLogs, workerLogs] = await Promise.all([
    findApis(clients, names),
    observeEcrRule(clients, names),
    observeTopicForRemoval(clients, names.topic),
    observeMappings(clients, names),
    Promise.all(QUEUE_ROLES.map((role) => observeQueue(clients, queueNames(names.install)[role]))),
    observeFunctionOwner(clients, names.functions.receiver),
    observeFunctionOwner(clients, names.functions.worker),
    Promise.all(roles.map((role) => observeRoleForRemoval(clients, role))),
    logGroupExists(clients, names.logGroups.receiver),
    logGroupExists(clients, names.logGroups.worker),
  ]);
  const functions: Partial<Record<FunctionRole, { tags: Record<string, string>; roleArn?: string }>> = {};
  if (receiver !== undefined) functions.receiver = receiver;
  if (worker !== undefined) functions.worker = worker;
  const managedPolicies = await observeManagedPolicies(clients, managedPolicyPath(names.install), names.role);
  return {
    managedPolicies: managedPolicies.map(({ name, arn, attached }) => ({ name, arn, attached })),
    apiIds: apis.flatMap((api) => (api.id === undefined ? [] : [api.id])),
    ecr,
    ...(topic === undefined ? {} : { topic }),
    mappings,
    queues,
    functions,
    roles: roleStates,
    logGroups: Object.fromEntries(FUNCTION_ROLES.map((role) => [role, role === 'receiver' ? receiverLogs : workerLogs])),
  };
}

async function observeEcrRule(clients: InstallClients, names: InstallNames): Promise<ObservedRemoval['ecr']> {
  const ruleName = ecrRuleName(names.install);
  const policy = await orMissing(clients.lambda.send(new GetPolicyCommand({ FunctionName: names.functions.worker })), 'ResourceNotFoundException');
  const statements = policy?.Policy === undefined ? [] : ((JSON.parse(policy.Policy) as { Statement?: { Sid?: string }[] }).Statement ?? []);
  const permission = statements.some((statement) => statement.Sid === EVENTS_PERMISSION_STATEMENT_ID);
  const rule = await orMissing(clients.events.send(new DescribeRuleCommand({ Name: ruleName })), 'ResourceNotFoundException');
  if (rule?.Arn === undefined) return { permission, ruleName };
  const tags = await clients.events.send(new EventsListTagsCommand({ ResourceARN: rule.Arn }));
  const targets = await clients.events.send(new ListTargetsByRuleCommand({ Rule: ruleName }));
  return {
    permission,
    ruleName,
    rule: {
      name: ruleName,
      arn: rule.Arn,
      tags: tagRecord(tags.Tags),
      targetIds: (targets.Targets ?? []).flatMap((target) => (target.Id === undefined ? [] : [target.Id])),
    },
  };
}

/** DeleteTopic also succeeds for a topic that does not exist, so whether it is there comes from ListTopics. */
async function observeTopicForRemoval(clients: InstallClients, name: string): Promise<ObservedRemoval['topic']> {
  const arn = await findTopicArn(clients, name);
  if (arn === undefined) return undefined;
  const tags = await orMissing(topicTags(clients, arn), 'NotFoundException', 'NotFound', 'ResourceNotFoundException');
  if (tags === undefined) return { arn, subscriptions: 0 };
  const subscriptions = await orMissing(topicSubscriptions(clients, arn), 'NotFoundException', 'NotFound');
  return { arn, tags, subscriptions: subscriptions?.length ?? 0 };
}

async function observeMappings(clients: InstallClients, names: InstallNames): Promise<ObservedRemoval['mappings']> {
  const answer = await orMissing(
    clients.lambda.send(new ListEventSourceMappingsCommand({ FunctionName: names.functions.worker })),
    'ResourceNotFoundException',
  );
  const queues = queueNames(names.install);
  const mapped = new Set([queues.pushes, queues.follow]);
  return (answer?.EventSourceMappings ?? []).flatMap((mapping) => {
    const queue = mapping.EventSourceArn === undefined ? undefined : lastColonSegment(mapping.EventSourceArn);
    return mapping.UUID === undefined || queue === undefined || !mapped.has(queue) ? [] : [{ uuid: mapping.UUID, queue }];
  });
}

async function observeQueue(clients: InstallClients, name: string): Promise<ObservedRemoval['queues'][number]> {
  let url: string | undefined;
  try {
    url = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    // SQS's JSON protocol names the error QueueDoesNotExist; its query protocol the longer code.
    if (isAwsError(error, ...NO_QUEUE)) return { name };
    throw error;
  }
  if (url === undefined) return { name };
  return { name, url, tags: (await clients.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags ?? {} };
}

async function observeFunctionOwner(clients: InstallClients, name: string): Promise<{ tags: Record<string, string>; roleArn?: string } | undefined> {
  const answer = await orMissing(clients.lambda.send(new GetFunctionCommand({ FunctionName: name })), 'ResourceNotFoundException');
  if (answer === undefined) return undefined;
  const roleArn = answer.Configuration?.Role;
  return { tags: await functionTags(clients.lambda, answer), ...(roleArn === undefined ? {} : { roleArn }) };
}

async function observeRoleForRemoval(clients: InstallClients, role: { name: string; policyName: string }): Promise<ObservedRole> {
  const answer = await orMissing(clients.iam.send(new GetRoleCommand({ RoleName: role.name })), 'NoSuchEntityException');
  const arn = answer?.Role?.Arn;
  if (arn === undefined) return role;
  const policy = await orMissing(
    clients.iam.send(new GetRolePolicyCommand({ RoleName: role.name, PolicyName: role.policyName })),
    'NoSuchEntityException',
  );
  return { ...role, found: { arn, tags: tagRecord(answer?.Role?.Tags), hasInlinePolicy: policy !== undefined } };
}

async function logGroupExists(clients: InstallClients, name: string): Promise<boolean> {
  const answer = await clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
  return (answer.logGroups ?? []).some((group) => group.logGroupName === name);
}
