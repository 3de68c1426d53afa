// The sandbox's Lambda emulation on its own: small functions written here, run through the AWS
// SDK and real HTTP, checked through the AWS API (logs, queues, invocation records): the runtime, concurrency, SQS.
import {
  CreateEventSourceMappingCommand,
  InvokeCommand,
  PutFunctionConcurrencyCommand,
  PutFunctionEventInvokeConfigCommand,
} from '@aws-sdk/client-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.js';
import {
  ACCOUNT,
  config,
  createFunction,
  ECHO,
  eventsLogged,
  invoke,
  lambda,
  logLines,
  putFunctionLogsPolicy,
  resetWithFunctionRole,
} from './lambda-world.js';

beforeEach(resetWithFunctionRole);

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

  it("writes a function's lines only into log groups its role's Resource reaches", async () => {
    // The role may write /aws/lambda/mine alone, as install scopes its roles: another function's lines are lost.
    await putFunctionLogsPolicy(`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/mine:*`);
    await createFunction('mine', { 'index.js': ECHO }, 'index.handler');
    await createFunction('theirs', { 'index.js': ECHO }, 'index.handler');
    expect((await invoke('theirs', { n: 2 })).status).toBe(200);
    expect((await invoke('mine', { n: 1 })).status).toBe(200);
    const line = await eventually("mine's event in its log", async () =>
      (await logLines('mine')).find((logged) => logged.includes('\tINFO\tevent {"n":1}')),
    );
    expect(line).toContain('"n":1');
    expect(await logLines('theirs')).toEqual([]); // theirs ended before mine began: its lines would be there by now
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
});
