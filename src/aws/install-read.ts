/**
 * install's readers: what exists of an install, read through the SDK and checked for ownership
 * (the INSTALL_TAG), changing nothing. Each answers undefined for what does not exist.
 */
import { GetResourcesCommand, GetRestApisCommand, GetStageCommand, type RestApi } from '@aws-sdk/client-api-gateway';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListPoliciesCommand,
  type Role,
} from '@aws-sdk/client-iam';
import { GetFunctionCommand, GetFunctionConcurrencyCommand, GetPolicyCommand, type FunctionConfiguration } from '@aws-sdk/client-lambda';
import {
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand as SnsListTagsForResourceCommand,
} from '@aws-sdk/client-sns';
import { INSTALL_TAG, type InstallNames } from '../core/install-names.js';
import type {
  ObservedApi,
  ObservedFunction,
  ObservedManagedPolicy,
  ObservedPermission,
  ObservedResource,
  ObservedRole,
  ObservedSubscription,
  ObservedTopic,
} from '../core/install-types.js';
import { functionTags } from './function-tags.js';
import { notOurs, orMissing, parsePolicyText, tagRecord, type InstallClients } from './install-clients.js';
import { findTopicArn as findTopicArnBy } from './topics.js';

/** A role install owns, with its inline policy; a role of that name without the install's tag is refused. */
export async function observeRole(clients: InstallClients, install: string, roleName: string, policyName: string): Promise<ObservedRole | undefined> {
  const answer = await orMissing(clients.iam.send(new GetRoleCommand({ RoleName: roleName })), 'NoSuchEntityException');
  const role: Role | undefined = answer?.Role;
  if (role?.Arn === undefined) return undefined;
  const tags = tagRecord(role.Tags);
  if (tags[INSTALL_TAG] !== install) throw notOurs('IAM role', roleName, install);
  const policy = await orMissing(clients.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })), 'NoSuchEntityException');
  return {
    arn: role.Arn,
    tags,
    trustPolicy: parsePolicyText(role.AssumeRolePolicyDocument),
    policyDocument: parsePolicyText(policy?.PolicyDocument),
  };
}

interface PolicyStatementText {
  Sid?: string;
  Principal?: { Service?: string } | string;
  Condition?: { ArnLike?: Record<string, string>; StringEquals?: Record<string, string> };
}

export async function observeFunction(clients: InstallClients, name: string, install: string): Promise<ObservedFunction | undefined> {
  const answer = await orMissing(clients.lambda.send(new GetFunctionCommand({ FunctionName: name })), 'ResourceNotFoundException');
  const configuration = answer?.Configuration;
  if (configuration?.FunctionArn === undefined) return undefined;
  const tags = answer === undefined ? {} : await functionTags(clients.lambda, answer);
  if (tags[INSTALL_TAG] !== install) throw notOurs('Lambda function', name, install);
  const concurrency = await clients.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: name }));
  const policy = await orMissing(clients.lambda.send(new GetPolicyCommand({ FunctionName: name })), 'ResourceNotFoundException');
  const statements = policy?.Policy === undefined ? [] : ((JSON.parse(policy.Policy) as { Statement?: PolicyStatementText[] }).Statement ?? []);
  const permissions: Record<string, ObservedPermission> = {};
  for (const statement of statements) {
    if (statement.Sid === undefined) continue;
    const principal = typeof statement.Principal === 'string' ? statement.Principal : statement.Principal?.Service;
    const sourceArn = statement.Condition?.ArnLike?.['AWS:SourceArn'];
    const sourceAccount = statement.Condition?.StringEquals?.['AWS:SourceAccount'];
    permissions[statement.Sid] = {
      ...(principal === undefined ? {} : { principal }),
      ...(sourceArn === undefined ? {} : { sourceArn }),
      ...(sourceAccount === undefined ? {} : { sourceAccount }),
    };
  }
  return functionSnapshot(configuration, tags, permissions, concurrency.ReservedConcurrentExecutions);
}

function functionSnapshot(
  configuration: FunctionConfiguration,
  tags: Record<string, string>,
  permissions: ObservedFunction['permissions'],
  reservedConcurrency: number | undefined,
): ObservedFunction {
  return {
    arn: configuration.FunctionArn ?? '',
    ...(configuration.Handler === undefined ? {} : { handler: configuration.Handler }),
    ...(configuration.Runtime === undefined ? {} : { runtime: configuration.Runtime }),
    ...(configuration.Timeout === undefined ? {} : { timeout: configuration.Timeout }),
    ...(configuration.MemorySize === undefined ? {} : { memorySize: configuration.MemorySize }),
    ...(configuration.Architectures === undefined ? {} : { architectures: configuration.Architectures }),
    ...(configuration.Role === undefined ? {} : { roleArn: configuration.Role }),
    environment: configuration.Environment?.Variables ?? {},
    ...(configuration.CodeSha256 === undefined ? {} : { codeSha256: configuration.CodeSha256 }),
    ...(reservedConcurrency === undefined ? {} : { reservedConcurrency }),
    tags,
    permissions,
  };
}

export async function observeLogGroup(clients: InstallClients, name: string): Promise<{ retentionDays?: number } | undefined> {
  const answer = await clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
  const group = (answer.logGroups ?? []).find((candidate) => candidate.logGroupName === name);
  if (group === undefined) return undefined;
  return group.retentionInDays === undefined ? {} : { retentionDays: group.retentionInDays };
}

/** The install's REST API: named for it and tagged for it (API names are not unique, the tag is). */
export async function findApis(clients: InstallClients, names: InstallNames): Promise<RestApi[]> {
  const found: RestApi[] = [];
  let position: string | undefined;
  do {
    const page = await clients.apigw.send(new GetRestApisCommand({ limit: 500, position }));
    found.push(...(page.items ?? []).filter((api) => api.name === names.api && api.tags?.[INSTALL_TAG] === names.install));
    position = page.position;
  } while (position !== undefined && position !== '');
  return found;
}

export async function observeApi(clients: InstallClients, names: InstallNames, stage: string, warnings: string[]): Promise<ObservedApi | undefined> {
  const apis = await findApis(clients, names);
  const api = apis[0];
  if (api?.id === undefined) return undefined;
  if (apis.length > 1) warnings.push(`${apis.length} REST APIs are named ${names.api} and tagged for this install; using ${api.id}`);
  const resources: ObservedResource[] = [];
  let position: string | undefined;
  let rootId = api.rootResourceId ?? '';
  do {
    const page = await clients.apigw.send(new GetResourcesCommand({ restApiId: api.id, embed: ['methods'], limit: 500, position }));
    for (const item of page.items ?? []) {
      if (item.id === undefined || item.path === undefined) continue;
      if (item.path === '/') rootId = item.id;
      const post = item.resourceMethods?.['POST'];
      resources.push({
        id: item.id,
        path: item.path,
        ...(post === undefined
          ? {}
          : {
              post: {
                ...(post.authorizationType === undefined ? {} : { authorizationType: post.authorizationType }),
                ...(post.methodIntegration?.type === undefined ? {} : { integrationType: post.methodIntegration.type }),
                ...(post.methodIntegration?.uri === undefined ? {} : { integrationUri: post.methodIntegration.uri }),
              },
            }),
      });
    }
    position = page.position;
  } while (position !== undefined && position !== '');
  const stageAnswer = await orMissing(clients.apigw.send(new GetStageCommand({ restApiId: api.id, stageName: stage })), 'NotFoundException');
  const all = stageAnswer?.methodSettings?.['*/*'];
  return {
    id: api.id,
    rootId,
    resources,
    ...(stageAnswer === undefined
      ? {}
      : {
          stage: {
            name: stage,
            ...(all?.throttlingRateLimit === undefined ? {} : { rateLimit: all.throttlingRateLimit }),
            ...(all?.throttlingBurstLimit === undefined ? {} : { burstLimit: all.throttlingBurstLimit }),
          },
        }),
  };
}

/** The topic with this name (the ARN's last segment), paging through ListTopics; names are unique per region. */
export function findTopicArn(clients: InstallClients, name: string): Promise<string | undefined> {
  return findTopicArnBy(clients.sns, name);
}

export async function topicTags(clients: InstallClients, arn: string): Promise<Record<string, string>> {
  const answer = await clients.sns.send(new SnsListTagsForResourceCommand({ ResourceArn: arn }));
  return tagRecord(answer.Tags);
}

export async function observeTopic(clients: InstallClients, names: InstallNames): Promise<ObservedTopic | undefined> {
  const arn = await findTopicArn(clients, names.topic);
  if (arn === undefined) return undefined;
  const tags = await topicTags(clients, arn);
  if (tags[INSTALL_TAG] !== names.install) throw notOurs('SNS topic', names.topic, names.install);
  const attributes = await clients.sns.send(new GetTopicAttributesCommand({ TopicArn: arn }));
  const policy = attributes.Attributes?.['Policy'];
  return {
    arn,
    tags,
    subscriptions: await topicSubscriptions(clients, arn),
    ...(policy === undefined ? {} : { policy: JSON.parse(policy) as unknown }),
  };
}

export async function topicSubscriptions(clients: InstallClients, arn: string): Promise<ObservedSubscription[]> {
  const subscriptions: ObservedSubscription[] = [];
  let nextToken: string | undefined;
  do {
    const page = await clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn, NextToken: nextToken }));
    for (const subscription of page.Subscriptions ?? []) {
      if (subscription.Protocol === undefined || subscription.Endpoint === undefined) continue;
      subscriptions.push({ arn: subscription.SubscriptionArn ?? '', protocol: subscription.Protocol, endpoint: subscription.Endpoint });
    }
    nextToken = page.NextToken;
  } while (nextToken !== undefined && nextToken !== '');
  return subscriptions;
}

/**
 * The install's customer managed policies (every one under its path, `/ecs-roll/<install>/`), each with its
 * default version's document and whether the role has it attached.
 */
export async function observeManagedPolicies(clients: InstallClients, path: string, roleName: string): Promise<ObservedManagedPolicy[]> {
  const found: { name: string; arn: string; version?: string }[] = [];
  let marker: string | undefined;
  do {
    const page = await clients.iam.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: path, Marker: marker }));
    for (const policy of page.Policies ?? []) {
      if (policy.PolicyName === undefined || policy.Arn === undefined || policy.Path !== path) continue;
      found.push({
        name: policy.PolicyName,
        arn: policy.Arn,
        ...(policy.DefaultVersionId === undefined ? {} : { version: policy.DefaultVersionId }),
      });
    }
    marker = page.IsTruncated === true ? page.Marker : undefined;
  } while (marker !== undefined);
  if (found.length === 0) return [];
  const attached = await orMissing(
    clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, MaxItems: 1000 })),
    'NoSuchEntityException',
  );
  const attachedArns = new Set((attached?.AttachedPolicies ?? []).map((policy) => policy.PolicyArn));
  return Promise.all(
    found.map(async (policy) => {
      const version =
        policy.version === undefined
          ? undefined
          : await orMissing(
              clients.iam.send(new GetPolicyVersionCommand({ PolicyArn: policy.arn, VersionId: policy.version })),
              'NoSuchEntityException',
            );
      const document = parsePolicyText(version?.PolicyVersion?.Document);
      return { name: policy.name, arn: policy.arn, attached: attachedArns.has(policy.arn), ...(document === undefined ? {} : { document }) };
    }),
  );
}
