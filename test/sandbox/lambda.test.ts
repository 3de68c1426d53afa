// The sandbox's Lambda emulation on its own: small functions written here, run through the AWS
// SDK and real HTTP, checked through the AWS API (logs, queues, invocation records).
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  GetResourcesCommand,
  PutIntegrationCommand,
  PutMethodCommand,
  UpdateStageCommand,
} from '@aws-sdk/client-api-gateway';
import { CloudWatchClient, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  AddPermissionCommand,
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  InvokeCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
  PutFunctionEventInvokeConfigCommand,
} from '@aws-sdk/client-lambda';
import { zipSync } from 'fflate';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from './endpoint.js';
import { sandboxControl } from './client.js';
import { putCpuAlarm } from '../alarms.js';
import { eventually } from '../eventually.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
const ACCOUNT = '123456789012';
let lambda: LambdaClient;
let logs: CloudWatchLogsClient;
let roleArn: string;

const ECHO = `exports.handler = async (event, context) => {
  console.log('event', JSON.stringify(event));
  if (event && event.fail) throw new TypeError('asked to fail');
  return { event, name: context.functionName, requestId: context.awsRequestId, remaining: context.getRemainingTimeInMillis(),
           region: process.env.AWS_REGION, fnName: process.env.AWS_LAMBDA_FUNCTION_NAME, color: process.env.COLOR,
           endpointSet: typeof process.env.AWS_ENDPOINT_URL === 'string' };
};`;

async function createFunction(
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

async function invoke(name: string, payload: unknown) {
  const answer = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: new TextEncoder().encode(JSON.stringify(payload)) }));
  return {
    status: answer.StatusCode,
    error: answer.FunctionError,
    payload: JSON.parse(new TextDecoder().decode(answer.Payload)) as Record<string, unknown>,
  };
}

async function logLines(name: string): Promise<string[]> {
  try {
    const answer = await logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${name}` }));
    return (answer.events ?? []).map((event) => event.message ?? '');
  } catch {
    return [];
  }
}

const eventsLogged = async (name: string) =>
  (await logLines(name))
    .filter((line) => line.includes('\tINFO\tevent '))
    .map((line) => JSON.parse(line.slice(line.indexOf('\tINFO\tevent ') + 12)) as Record<string, unknown>);

beforeAll(() => {
  lambda = new LambdaClient(config);
  logs = new CloudWatchLogsClient(config);
});

beforeEach(async () => {
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
  await new IAMClient(config).send(
    new PutRolePolicyCommand({
      RoleName: 'fn',
      PolicyName: 'logs',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
      }),
    }),
  );
});

describe('Lambda in the sandbox', () => {
  it('resolves handlers as the Node.js runtime does and passes environment and context', async () => {
    await createFunction(
      'cjs',
      { 'lib/app.cjs': ECHO.replace('exports.handler', 'exports.nested = {}; exports.nested.handler') },
      'lib/app.nested.handler',
      { Environment: { COLOR: 'blue' } },
    );
    const result = await invoke('cjs', { hello: 1 });
    expect(result).toMatchObject({ status: 200, error: undefined });
    expect(result.payload).toMatchObject({ event: { hello: 1 }, name: 'cjs', region: 'us-east-1', fnName: 'cjs', color: 'blue', endpointSet: true });
    expect(result.payload.remaining).toBeGreaterThan(0);

    // .js before .mjs; a "type": "module" package makes .js an ES module; callback handlers work.
    await createFunction(
      'esm',
      {
        'index.js': 'export const handler = (event, context, callback) => callback(null, { from: "js" });',
        'index.mjs': 'export const handler = async () => ({ from: "mjs" });',
        'package.json': '{"type":"module"}',
      },
      'index.handler',
    );
    expect((await invoke('esm', {})).payload).toEqual({ from: 'js' });

    const failed = await invoke('cjs', { fail: true });
    expect(failed.error).toBe('Unhandled');
    expect(failed.payload).toMatchObject({ errorType: 'TypeError', errorMessage: 'asked to fail' });
    await createFunction('missing', { 'index.js': ECHO }, 'index.nothere');
    expect((await invoke('missing', {})).payload).toMatchObject({ errorType: 'Runtime.HandlerNotFound' });

    const lines = await logLines('cjs');
    expect(lines.filter((line) => line.startsWith('START RequestId:'))).toHaveLength(2);
    expect(lines.some((line) => line.includes('\tINFO\tevent {"hello":1}'))).toBe(true);
  });

  it('throttles a synchronous invoke beyond reserved concurrency, and sends an async failure to its on-failure queue', async () => {
    const arn = await createFunction('echo', { 'index.js': ECHO }, 'index.handler');
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'echo', ReservedConcurrentExecutions: 0 }));
    await expect(invoke('echo', {})).rejects.toMatchObject({ name: 'TooManyRequestsException' });
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'echo', ReservedConcurrentExecutions: 1 }));

    const { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } = await import('@aws-sdk/client-sqs');
    const sqs = new SQSClient(config);
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'failures' }))).QueueUrl ?? '';
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn ?? '';
    await lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: 'echo',
        MaximumRetryAttempts: 1,
        DestinationConfig: { OnFailure: { Destination: queueArn } },
      }),
    );
    const sent = await lambda.send(
      new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: new TextEncoder().encode('{"fail":true}') }),
    );
    expect(sent.StatusCode).toBe(202);
    const record = await eventually('the invocation record', async () => {
      const answer = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }));
      return answer.Messages?.[0]?.Body;
    });
    expect(JSON.parse(record)).toMatchObject({
      version: '1.0',
      requestContext: { functionArn: `${arn}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: 2 },
      requestPayload: { fail: true },
      responseContext: { statusCode: 200, functionError: 'Unhandled' },
      responsePayload: { errorType: 'TypeError' },
    });
  });

  it('delivers SQS batches in FIFO group order, deletes on success, and redrives a failing message to the DLQ', async () => {
    const { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } = await import(
      '@aws-sdk/client-sqs'
    );
    const sqs = new SQSClient(config);
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'jobs-dlq.fifo', Attributes: { FifoQueue: 'true' } }))).QueueUrl ?? '';
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    const queueUrl =
      (
        await sqs.send(
          new CreateQueueCommand({
            QueueName: 'jobs.fifo',
            // Lambda refuses a mapping from a queue whose visibility timeout is shorter than the function's Timeout.
            Attributes: {
              FifoQueue: 'true',
              VisibilityTimeout: '3',
              RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
            },
          }),
        )
      ).QueueUrl ?? '';
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    await createFunction(
      'consumer',
      {
        'index.js': `exports.handler = async (event) => { for (const r of event.Records) { console.log('event', JSON.stringify({ body: r.body, group: r.attributes.MessageGroupId, source: r.eventSource })); if (r.body === 'poison') throw new Error('poison'); } };`,
      },
      'index.handler',
      { Timeout: 3 },
    );
    await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'consumer', EventSourceArn: queueArn, BatchSize: 1 }));
    for (const body of ['one', 'two', 'three']) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageGroupId: 'g1', MessageDeduplicationId: body }));
    }
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'poison', MessageGroupId: 'g2', MessageDeduplicationId: 'poison' }));
    const seen = await eventually('three g1 messages', async () => {
      const events = await eventsLogged('consumer');
      return events.filter((event) => event.group === 'g1').length >= 3 ? events : undefined;
    });
    expect(seen.filter((event) => event.group === 'g1').map((event) => event.body)).toEqual(['one', 'two', 'three']);
    expect(seen[0]?.source).toBe('aws:sqs');
    const dead = await eventually(
      'the poison message in the DLQ',
      async () => (await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl }))).Messages?.[0]?.Body,
    );
    expect(dead).toBe('poison');
    expect((await eventsLogged('consumer')).filter((event) => event.body === 'poison')).toHaveLength(2);
    const left = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    expect(left.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it('runs EventBridge rules with Lambda targets (with permission only) and puts ECS deployment events on the default bus', async () => {
    const { EventBridgeClient, PutRuleCommand, PutTargetsCommand, PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
    const events = new EventBridgeClient(config);
    const arn = await createFunction('listener', { 'index.js': ECHO }, 'index.handler');
    const rule = await events.send(new PutRuleCommand({ Name: 'ecs', EventPattern: JSON.stringify({ source: ['aws.ecs', 'acme'] }) }));
    await events.send(new PutTargetsCommand({ Rule: 'ecs', Targets: [{ Id: 'fn', Arn: arn }] }));
    await events.send(new PutEventsCommand({ Entries: [{ Source: 'acme', DetailType: 'ping', Detail: '{"n":1}' }] }));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await eventsLogged('listener')).toEqual([]); // no resource policy for events.amazonaws.com yet

    await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'listener',
        StatementId: 'events',
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: rule.RuleArn,
      }),
    );
    await events.send(new PutEventsCommand({ Entries: [{ Source: 'acme', DetailType: 'ping', Detail: '{"n":2}' }] }));
    const { ECSClient, CreateClusterCommand, RegisterTaskDefinitionCommand, CreateServiceCommand } = await import('@aws-sdk/client-ecs');
    const ecs = new ECSClient(config);
    await ecs.send(new CreateClusterCommand({ clusterName: 'prod' }));
    const definition = await ecs.send(
      new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [{ name: 'web', image: 'acme/web:1', memory: 128 }] }),
    );
    await ecs.send(
      new CreateServiceCommand({
        cluster: 'prod',
        serviceName: 'web',
        taskDefinition: definition.taskDefinition?.taskDefinitionArn,
        desiredCount: 1,
      }),
    );
    const received = await eventually('ping and the deployment completed', async () => {
      const found = await eventsLogged('listener');
      const names = found.map((event) => (event.detail as { eventName?: string } | undefined)?.eventName);
      return names.includes('SERVICE_DEPLOYMENT_COMPLETED') && names.includes('SERVICE_STEADY_STATE') ? found : undefined;
    });
    expect(received[0]).toMatchObject({ source: 'acme', 'detail-type': 'ping', detail: { n: 2 }, account: ACCOUNT });
    const deployment = received.filter((event) => event['detail-type'] === 'ECS Deployment State Change');
    expect(deployment.map((event) => (event.detail as { eventName: string }).eventName)).toEqual([
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      'SERVICE_DEPLOYMENT_COMPLETED',
    ]);
    expect(deployment[1]).toMatchObject({
      source: 'aws.ecs',
      resources: [`arn:aws:ecs:us-east-1:${ACCOUNT}:service/prod/web`],
      detail: { eventType: 'INFO', deploymentId: expect.stringMatching(/^ecs-svc\/\d+$/) },
    });
  });

  it('serves a REST API: proxy event as API Gateway builds it, 403 for unknown routes, 500 without permission, 429 beyond the stage limit', async () => {
    const arn = await createFunction(
      'api',
      { 'index.js': `exports.handler = async (event) => ({ statusCode: 201, headers: { 'x-echo': 'yes' }, body: JSON.stringify(event) });` },
      'index.handler',
    );
    const apigw = new APIGatewayClient(config);
    const api = await apigw.send(new CreateRestApiCommand({ name: 'demo' }));
    const root = (await apigw.send(new GetResourcesCommand({ restApiId: api.id }))).items?.find((item) => item.path === '/')?.id;
    const items = await apigw.send(new CreateResourceCommand({ restApiId: api.id, parentId: root, pathPart: 'items' }));
    const item = await apigw.send(new CreateResourceCommand({ restApiId: api.id, parentId: items.id, pathPart: '{id}' }));
    await apigw.send(new PutMethodCommand({ restApiId: api.id, resourceId: item.id, httpMethod: 'POST', authorizationType: 'NONE' }));
    await apigw.send(
      new PutIntegrationCommand({
        restApiId: api.id,
        resourceId: item.id,
        httpMethod: 'POST',
        type: 'AWS_PROXY',
        integrationHttpMethod: 'POST',
        uri: `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${arn}/invocations`,
      }),
    );
    await apigw.send(new CreateDeploymentCommand({ restApiId: api.id, stageName: 'v1' }));
    const base = `${endpoint}/restapis/${api.id}/v1/_user_request_`;
    const call = (path: string, method = 'POST') =>
      fetch(`${base}${path}?a=1&a=2`, { method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body: '{"x":1}' } : {}) });

    expect((await call('/items/42')).status).toBe(500); // no permission for apigateway.amazonaws.com yet
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'api',
        StatementId: 'apigw',
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        SourceArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:${api.id}/*/POST/items/*`,
      }),
    );
    const ok = await call('/items/42');
    expect(ok.status).toBe(201);
    expect(ok.headers.get('x-echo')).toBe('yes');
    expect(await ok.json()).toMatchObject({
      resource: '/items/{id}',
      path: '/items/42',
      httpMethod: 'POST',
      pathParameters: { id: '42' },
      queryStringParameters: { a: '2' },
      multiValueQueryStringParameters: { a: ['1', '2'] },
      headers: { 'Content-Type': 'application/json' },
      multiValueHeaders: { 'Content-Type': ['application/json'] },
      body: '{"x":1}',
      isBase64Encoded: false,
      requestContext: { apiId: api.id, stage: 'v1', path: '/v1/items/42', resourcePath: '/items/{id}', httpMethod: 'POST', accountId: ACCOUNT },
    });
    for (const [path, method] of [
      ['/items/42', 'GET'],
      ['/nothing', 'POST'],
      ['/items', 'POST'],
    ] as const) {
      const missing = await call(path, method);
      expect(missing.status, `${method} ${path}`).toBe(403);
      expect(await missing.json()).toEqual({ message: 'Missing Authentication Token' });
    }

    await apigw.send(
      new UpdateStageCommand({
        restApiId: api.id,
        stageName: 'v1',
        patchOperations: [
          { op: 'replace', path: '/*/*/throttling/rateLimit', value: '0.01' },
          { op: 'replace', path: '/*/*/throttling/burstLimit', value: '1' },
        ],
      }),
    );
    const statuses = [(await call('/items/1')).status, (await call('/items/2')).status];
    expect(statuses).toEqual([201, 429]);
  });

  it("runs an alarm's Lambda action with the direct alarm-action event, only when the resource policy allows it", async () => {
    const arn = await createFunction('on-alarm', { 'index.js': ECHO }, 'index.handler');
    const cloudwatch = new CloudWatchClient(config);
    const alarm = (name: string) => putCpuAlarm(cloudwatch, name, { actions: [arn] });
    await alarm('denied');
    await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: 'denied', StateValue: 'ALARM', StateReason: 'test' }));
    await alarm('allowed');
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'on-alarm',
        StatementId: 'alarm',
        Action: 'lambda:InvokeFunction',
        Principal: 'lambda.alarms.cloudwatch.amazonaws.com',
        SourceArn: `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:allowed`,
      }),
    );
    await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: 'allowed', StateValue: 'ALARM', StateReason: 'test' }));
    await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: 'allowed', StateValue: 'ALARM', StateReason: 'still' })); // no change, no action
    const received = await eventually('the alarm event', async () => {
      const found = await eventsLogged('on-alarm');
      return found.length > 0 ? found : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await eventsLogged('on-alarm')).toHaveLength(1);
    expect(received[0]).toMatchObject({
      source: 'aws.cloudwatch',
      alarmArn: `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:allowed`,
      accountId: ACCOUNT,
      region: 'us-east-1',
      alarmData: { alarmName: 'allowed', state: { value: 'ALARM', reason: 'test' }, previousState: { value: 'OK' } },
    });
  });
});
