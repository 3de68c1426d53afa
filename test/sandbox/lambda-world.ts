// What the sandbox's Lambda tests share: clients, the functions' role, and small helpers to create,
// invoke and read the logs of functions written in the tests.
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { zipSync } from 'fflate';
import { sandboxControl } from './client.js';
import { sandboxEndpoint } from './endpoint.js';

export const endpoint = sandboxEndpoint();
export const sandbox = sandboxControl(endpoint);
export const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
export const ACCOUNT = '123456789012';
export const lambda = new LambdaClient(config);
export const logs = new CloudWatchLogsClient(config);
let roleArn = '';

export const ECHO = `exports.handler = async (event, context) => {
  console.log('event', JSON.stringify(event));
  if (event && event.fail) throw new TypeError('asked to fail');
  return { event, name: context.functionName, requestId: context.awsRequestId, remaining: context.getRemainingTimeInMillis(),
           region: process.env.AWS_REGION, fnName: process.env.AWS_LAMBDA_FUNCTION_NAME, color: process.env.COLOR,
           endpointSet: typeof process.env.AWS_ENDPOINT_URL === 'string' };
};`;

export async function createFunction(
  name: string,
  files: Record<string, string>,
  handler: string,
  extra: { Timeout?: number; Environment?: Record<string, string> } = {},
): Promise<string> {
  const zip = zipSync(Object.fromEntries(Object.entries(files).map(([path, text]) => [path, new TextEncoder().encode(text)])));
  const answer = await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs22.x',
      Role: roleArn,
      Handler: handler,
      Code: { ZipFile: zip },
      Timeout: extra.Timeout ?? 10,
      Environment: { Variables: extra.Environment ?? {} },
    }),
  );
  return answer.FunctionArn ?? '';
}

export async function invoke(name: string, payload: unknown) {
  const answer = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: new TextEncoder().encode(JSON.stringify(payload)) }));
  return {
    status: answer.StatusCode,
    error: answer.FunctionError,
    payload: JSON.parse(new TextDecoder().decode(answer.Payload)) as Record<string, unknown>,
  };
}

export async function logLines(name: string): Promise<string[]> {
  try {
    const answer = await logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${name}` }));
    return (answer.events ?? []).map((event) => event.message ?? '');
  } catch {
    return [];
  }
}

export const eventsLogged = async (name: string) =>
  (await logLines(name))
    .filter((line) => line.includes('\tINFO\tevent '))
    .map((line) => JSON.parse(line.slice(line.indexOf('\tINFO\tevent ') + 12)) as Record<string, unknown>);

/** A clean sandbox with the role the functions run as (`fn`, allowed to write its logs). */
export async function resetWithFunctionRole(): Promise<void> {
  await sandbox.reset();
  const role = await new IAMClient(config).send(
    new CreateRoleCommand({
      RoleName: 'fn',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    }),
  );
  roleArn = role.Role?.Arn ?? '';
  // What AWSLambdaBasicExecutionRole grants: without it Lambda cannot create the log group.
  await putFunctionLogsPolicy('*');
}

/** The `fn` role's `logs` policy: creating and writing log groups and streams on `resource` (replacing it). */
export async function putFunctionLogsPolicy(resource: string): Promise<void> {
  await new IAMClient(config).send(
    new PutRolePolicyCommand({
      RoleName: 'fn',
      PolicyName: 'logs',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: resource }],
      }),
    }),
  );
}
