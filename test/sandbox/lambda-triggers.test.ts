// The sandbox's Lambda emulation driven by other services: EventBridge rules, API Gateway REST APIs and
// CloudWatch alarm actions, each only as the function's resource policy allows.

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
import { AddPermissionCommand } from '@aws-sdk/client-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { putCpuAlarm } from '../alarms.js';
import { eventually } from '../eventually.js';
import { ACCOUNT, config, createFunction, ECHO, endpoint, eventsLogged, lambda, resetWithFunctionRole } from './lambda-world.js';

beforeEach(resetWithFunctionRole);

describe('Lambda in the sandbox', () => {
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
