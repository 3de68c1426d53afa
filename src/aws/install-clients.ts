/**
 * The SDK clients install and uninstall use, built from one AwsConfig (so --region, --profile and
 * --endpoint-url hold for all of them) and always destroyed afterwards, plus the small helpers their
 * readers and handlers share.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { OperationFailedError } from '../core/errors.js';
import { INSTALL_TAG } from '../core/install-names.js';
import { clientConfig, type AwsConfig } from './config.js';
import { isAwsError } from './errors.js';
import { tagsFromSdk } from './tags.js';

export interface InstallClients {
  readonly iam: IAMClient;
  readonly lambda: LambdaClient;
  readonly apigw: APIGatewayClient;
  readonly logs: CloudWatchLogsClient;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly events: EventBridgeClient;
}

export function createInstallClients(aws: AwsConfig): InstallClients {
  const config = clientConfig(aws);
  return {
    iam: new IAMClient(config),
    lambda: new LambdaClient(config),
    apigw: new APIGatewayClient(config),
    logs: new CloudWatchLogsClient(config),
    sns: new SNSClient(config),
    sqs: new SQSClient(config),
    events: new EventBridgeClient(config),
  };
}

/** Runs `use` with fresh clients and destroys them afterwards, whatever happened (their sockets would keep the process alive). */
export async function withClients<T>(aws: AwsConfig, use: (clients: InstallClients) => Promise<T>): Promise<T> {
  const clients = createInstallClients(aws);
  try {
    return await use(clients);
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
}

/** Answers undefined for "no such thing" (the named errors) and rethrows everything else. */
export async function orMissing<T>(call: Promise<T>, ...names: string[]): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (isAwsError(error, ...names)) return undefined;
    throw error;
  }
}

/** IAM answers policy documents URL-encoded. */
export function parsePolicyText(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(decodeURIComponent(text)) as unknown;
  } catch {
    return JSON.parse(text) as unknown;
  }
}

/** `[{Key, Value}]` (IAM, SNS) → a record. */
export function tagRecord(list: Parameters<typeof tagsFromSdk>[0]): Record<string, string> {
  return Object.fromEntries(tagsFromSdk(list).map((tag) => [tag.key, tag.value]));
}

/** A record → `[{Key, Value}]` (IAM, SNS). */
export function tagList(record: Readonly<Record<string, string>>): { Key: string; Value: string }[] {
  return Object.entries(record).map(([Key, Value]) => ({ Key, Value }));
}

export function notOurs(kind: string, name: string, install: string): OperationFailedError {
  return new OperationFailedError(
    `${kind} ${name} exists but is not tagged ${INSTALL_TAG}=${install}, so another tool or install owns it; ` +
      `choose another --name, or tag it if it is an earlier install of this one`,
  );
}
