/**
 * A stand-in for the SDK clients install uses: every `send` is recorded (command name without the
 * `Command` suffix, and its input) and answered by `respond`, so a handler's calls are checked
 * without AWS or the sandbox. `respond` may throw an error named as AWS names it.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { InstallClients } from '../../src/aws/install-clients.js';

const CLIENT_CLASSES = {
  iam: IAMClient,
  lambda: LambdaClient,
  apigw: APIGatewayClient,
  logs: CloudWatchLogsClient,
  sns: SNSClient,
  sqs: SQSClient,
  events: EventBridgeClient,
} as const;

export interface SentCommand {
  readonly client: keyof InstallClients;
  readonly command: string;
  readonly input: Record<string, unknown>;
}

export type Respond = (sent: SentCommand) => unknown;

export function stubClients(respond: Respond = () => ({})): { clients: InstallClients; sent: SentCommand[]; destroyed: string[] } {
  const sent: SentCommand[] = [];
  const destroyed: string[] = [];
  // Each stand-in answers `instanceof` for its client class: the SDK's paginators accept nothing else.
  const client = (name: keyof InstallClients) =>
    Object.setPrototypeOf(
      {
        config: { region: async () => 'eu-west-1' },
        send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
          // A copy: a paginator sends the same input object again with the next token.
          const entry = { client: name, command: command.constructor.name.replace(/Command$/, ''), input: { ...command.input } };
          sent.push(entry);
          return respond(entry);
        },
        destroy: () => destroyed.push(name),
      },
      CLIENT_CLASSES[name].prototype,
    );
  const clients = {
    iam: client('iam'),
    lambda: client('lambda'),
    apigw: client('apigw'),
    logs: client('logs'),
    sns: client('sns'),
    sqs: client('sqs'),
    events: client('events'),
  };
  return { clients: clients as unknown as InstallClients, sent, destroyed };
}

/** An error as the SDK throws it: the exception's name in `name`. */
export function awsError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
