// What the install and uninstall tests share: the sandbox of this worker, clients for what install creates,
// the CLI runners, and readers for the resources they check.
import { createHash } from 'node:crypto';
import { APIGatewayClient, GetRestApisCommand } from '@aws-sdk/client-api-gateway';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { IAMClient } from '@aws-sdk/client-iam';
import { GetFunctionCommand, GetPolicyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListSubscriptionsByTopicCommand, ListTagsForResourceCommand, ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { type SandboxCall, sandboxControl } from '../sandbox/client.js';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { container, createCluster, createService, ecsClient, REGION, registerTaskDefinition, runCli } from './helpers.js';

export const endpoint = sandboxEndpoint();
export const sandbox = sandboxControl(endpoint);
export const config = { endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
export const ecs: ECSClient = ecsClient(endpoint);
export const iam = new IAMClient(config);
export const lambda = new LambdaClient(config);
export const apigw = new APIGatewayClient(config);
export const logs = new CloudWatchLogsClient(config);
export const sns = new SNSClient(config);

export const install = (...args: string[]) => runCli(['install', ...args, '--endpoint-url', endpoint]);
export const uninstall = (...args: string[]) => runCli(['uninstall', ...args, '--endpoint-url', endpoint]);

// Against an emulator, install prints the emulator's invoke form of the URL (src/aws/invoke-url.ts).
export const URL_PATTERN = new RegExp(
  `${endpoint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/restapis/([a-z0-9]+)/live/_user_request_/hooks/dockerhub/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])`,
);

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export async function env(name: string): Promise<Record<string, string>> {
  const answer = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
  return answer.Configuration?.Environment?.Variables ?? {};
}

export async function apisNamed(name: string) {
  const answer = await apigw.send(new GetRestApisCommand({}));
  return (answer.items ?? []).filter((api) => api.name === name);
}

export interface PermissionStatement {
  Sid: string;
  Principal?: { Service?: string } | string;
  Condition?: { ArnLike?: Record<string, string>; StringEquals?: Record<string, string> };
}

export async function permissionStatements(name: string): Promise<PermissionStatement[]> {
  const answer = await lambda.send(new GetPolicyCommand({ FunctionName: name }));
  return (JSON.parse(answer.Policy ?? '{}') as { Statement?: PermissionStatement[] }).Statement ?? [];
}

export function principalOf(statement: PermissionStatement): string | undefined {
  return typeof statement.Principal === 'string' ? statement.Principal : statement.Principal?.Service;
}

export async function topicArns(name: string): Promise<string[]> {
  const answer = await sns.send(new ListTopicsCommand({}));
  return (answer.Topics ?? []).flatMap((topic) => (topic.TopicArn?.split(':').at(-1) === name ? [topic.TopicArn] : []));
}

/** The alarm topic, its tags and subscriptions, and the worker's statements for SNS and CloudWatch alarms. */
export async function alarmWiring(install = 'ecs-roll') {
  const arns = await topicArns(`${install}-alarms`);
  const arn = arns[0] ?? '';
  const tags = arn === '' ? [] : ((await sns.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags ?? []);
  const subscriptions = arn === '' ? [] : ((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }))).Subscriptions ?? []);
  const statements = await permissionStatements(`${install}-worker`);
  return {
    arns,
    tags,
    subscriptions: subscriptions.map((subscription) => ({ protocol: subscription.Protocol, endpoint: subscription.Endpoint })),
    sns: statements.filter((statement) => principalOf(statement) === 'sns.amazonaws.com'),
    alarms: statements.filter((statement) => principalOf(statement) === 'lambda.alarms.cloudwatch.amazonaws.com'),
  };
}

/** A call that changes something: anything but Get/List/Describe, and anything but GET on the REST APIs. */
export function mutating(calls: readonly SandboxCall[]): SandboxCall[] {
  return calls.filter((call) => {
    const rest = /^([A-Z]+) \//.exec(call.action);
    if (rest !== null) return rest[1] !== 'GET' && rest[1] !== 'HEAD';
    return !/^(Get|List|Describe)/.test(call.action);
  });
}

/** A cluster where acme/web runs with its own task and execution roles, and another image with other roles. */
export async function seedEcs(): Promise<void> {
  await createCluster(ecs, 'prod');
  const web = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')], {
    taskRoleArn: 'arn:aws:iam::123456789012:role/web-task',
    executionRoleArn: 'arn:aws:iam::123456789012:role/web-exec',
  });
  const other = await registerTaskDefinition(ecs, 'billing', [container('billing', 'acme/billing:3.1')], {
    taskRoleArn: 'arn:aws:iam::123456789012:role/billing-task',
  });
  await createService(ecs, 'prod', 'web', web);
  await createService(ecs, 'prod', 'billing', other);
}
