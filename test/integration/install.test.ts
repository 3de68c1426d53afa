import { GetIntegrationCommand, GetMethodCommand, GetResourcesCommand, GetStageCommand } from '@aws-sdk/client-api-gateway';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetRoleCommand, GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetFunctionCommand, GetFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';
import {
  alarmWiring,
  apigw,
  apisNamed,
  endpoint,
  env,
  iam,
  install,
  lambda,
  logs,
  mutating,
  permissionStatements,
  sandbox,
  seedEcs,
  sha256,
  topicArns,
  URL_PATTERN,
} from './install-world.js';

beforeEach(async () => {
  await sandbox.reset();
});

describe('install against the sandbox', () => {
  it('creates the role, the functions, the API, the permission and the log groups, and prints the URL once', async () => {
    await seedEcs();
    const run = await install('--repo', 'acme/web', '--cluster', 'prod', '--policy', 'semver');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const match = URL_PATTERN.exec(run.stdout);
    expect(match, run.stdout).not.toBeNull();
    const [, apiId, token] = match as unknown as [string, string, string];
    expect(run.stdout.split(token)).toHaveLength(2);

    // The role and its least-privilege policy, with PassRole for the web service's roles only.
    const role = await iam.send(new GetRoleCommand({ RoleName: 'ecs-roll' }));
    expect(role.Role?.Arn).toBe('arn:aws:iam::123456789012:role/ecs-roll');
    expect(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? '')).toContain('lambda.amazonaws.com');
    expect(role.Role?.Tags).toContainEqual({ Key: 'ecs-roll:install', Value: 'ecs-roll' });
    const policy = await iam.send(new GetRolePolicyCommand({ RoleName: 'ecs-roll', PolicyName: 'ecs-roll-policy' }));
    const document = JSON.parse(decodeURIComponent(policy.PolicyDocument ?? '')) as {
      Statement: { Sid: string; Action: unknown; Resource: unknown; Condition?: unknown }[];
    };
    const passRole = document.Statement.find((statement) => statement.Sid === 'PassTaskRoles');
    expect(passRole?.Resource).toEqual(['arn:aws:iam::123456789012:role/web-exec', 'arn:aws:iam::123456789012:role/web-task']);
    expect(passRole?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    expect(document.Statement.find((statement) => statement.Sid === 'EcsUpdateService')?.Resource).toEqual([
      'arn:aws:ecs:us-east-1:123456789012:service/prod/*',
    ]);
    expect(JSON.stringify(document.Statement.map((statement) => statement.Action))).not.toContain('*');

    // Two functions from one zip, configured by environment; the token's hash, never the token.
    const receiver = await lambda.send(new GetFunctionCommand({ FunctionName: 'ecs-roll-receiver' }));
    const worker = await lambda.send(new GetFunctionCommand({ FunctionName: 'ecs-roll-worker' }));
    // The receiver answers the internet and runs as its own role (test/integration/webhook-least-privilege.test.ts).
    expect(receiver.Configuration).toMatchObject({
      Handler: 'handler.receive',
      Runtime: 'nodejs22.x',
      Timeout: 10,
      MemorySize: 256,
      State: 'Active',
      Role: 'arn:aws:iam::123456789012:role/ecs-roll-receiver',
    });
    expect(worker.Configuration).toMatchObject({
      Handler: 'handler.work',
      Runtime: 'nodejs22.x',
      Timeout: 900,
      MemorySize: 512,
      State: 'Active',
      Role: role.Role?.Arn,
    });
    expect(receiver.Configuration?.CodeSha256).toBe(worker.Configuration?.CodeSha256);
    expect(receiver.Tags).toEqual({ 'ecs-roll:install': 'ecs-roll' });
    const receiverEnv = await env('ecs-roll-receiver');
    expect(receiverEnv).toMatchObject({
      ECS_ROLL_TOKEN_SHA256: sha256(token),
      ECS_ROLL_REPOS: 'docker.io/acme/web',
      ECS_ROLL_POLICY: 'semver',
      ECS_ROLL_CLUSTERS: 'prod',
      ECS_ROLL_STRATEGY: 'rolling',
      ECS_ROLL_WORKER_FUNCTION: 'ecs-roll-worker',
    });
    expect(JSON.stringify(receiverEnv)).not.toContain(token);
    expect((await env('ecs-roll-worker')).ECS_ROLL_TOKEN_SHA256).toBe(sha256(token));
    // Order comes from the pushes queue's message groups, not from reserved concurrency.
    expect(receiverEnv).toMatchObject({ ECS_ROLL_PUSH_QUEUE: 'ecs-roll-pushes.fifo', ECS_ROLL_FOLLOW_QUEUE: 'ecs-roll-follow' });
    const concurrency = await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'ecs-roll-worker' }));
    expect(concurrency.ReservedConcurrentExecutions).toBeUndefined();

    // The API: the route, POST without authorisation, a proxy integration to the receiver, the stage throttled.
    const apis = await apisNamed('ecs-roll');
    expect(apis.map((api) => api.id)).toEqual([apiId]);
    expect(apis[0]?.tags).toEqual({ 'ecs-roll:install': 'ecs-roll' });
    const resources = await apigw.send(new GetResourcesCommand({ restApiId: apiId }));
    const paths = (resources.items ?? []).map((item) => item.path).sort();
    expect(paths).toEqual(['/', '/hooks', '/hooks/dockerhub', '/hooks/dockerhub/{token}']);
    const route = resources.items?.find((item) => item.path === '/hooks/dockerhub/{token}');
    const method = await apigw.send(new GetMethodCommand({ restApiId: apiId, resourceId: route?.id, httpMethod: 'POST' }));
    expect(method.authorizationType).toBe('NONE');
    const integration = await apigw.send(new GetIntegrationCommand({ restApiId: apiId, resourceId: route?.id, httpMethod: 'POST' }));
    expect(integration.type).toBe('AWS_PROXY');
    expect(integration.uri).toBe(`arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${receiver.Configuration?.FunctionArn}/invocations`);
    const stage = await apigw.send(new GetStageCommand({ restApiId: apiId, stageName: 'live' }));
    expect(stage.methodSettings?.['*/*']).toMatchObject({ throttlingRateLimit: 5, throttlingBurstLimit: 10 });

    // API Gateway may invoke the receiver, from this API's route only.
    const statements = await permissionStatements('ecs-roll-receiver');
    expect(statements).toHaveLength(1);
    expect(statements[0]?.Condition?.ArnLike?.['AWS:SourceArn']).toBe(`arn:aws:execute-api:us-east-1:123456789012:${apiId}/*/POST/hooks/dockerhub/*`);

    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/ecs-roll-' }));
    expect((groups.logGroups ?? []).map((group) => [group.logGroupName, group.retentionInDays])).toEqual([
      ['/aws/lambda/ecs-roll-receiver', 30],
      ['/aws/lambda/ecs-roll-worker', 30],
    ]);

    // The alarm topic, tagged; the worker subscribed to it; SNS allowed from that topic, alarms from this account.
    const wiring = await alarmWiring();
    const topic = 'arn:aws:sns:us-east-1:123456789012:ecs-roll-alarms';
    expect(wiring.arns).toEqual([topic]);
    expect(wiring.tags).toContainEqual({ Key: 'ecs-roll:install', Value: 'ecs-roll' });
    expect(wiring.subscriptions).toEqual([{ protocol: 'lambda', endpoint: worker.Configuration?.FunctionArn }]);
    expect(wiring.sns).toHaveLength(1);
    expect(wiring.sns[0]?.Condition?.ArnLike?.['AWS:SourceArn']).toBe(topic);
    expect(wiring.alarms).toHaveLength(1);
    expect(wiring.alarms[0]?.Condition?.StringEquals?.['AWS:SourceAccount']).toBe('123456789012');
    expect(run.stdout).toContain(topic);

    // What the alarm path calls, scoped to alarms and to the cluster's services.
    expect(document.Statement.find((statement) => statement.Sid === 'EcsServiceTags')).toMatchObject({
      Action: ['ecs:ListTagsForResource', 'ecs:TagResource'],
      Resource: ['arn:aws:ecs:us-east-1:123456789012:service/prod/*'],
    });
    expect(document.Statement.find((statement) => statement.Sid === 'CloudWatchReadAlarms')).toMatchObject({
      Action: ['cloudwatch:DescribeAlarms', 'cloudwatch:ListTagsForResource'],
      Resource: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:*',
    });
  });

  it('changes nothing that should stay when run again, and a new token only with --rotate-token', async () => {
    const first = await install('--repo', 'acme/web');
    expect(first.code).toBe(0);
    const [, apiId, token] = URL_PATTERN.exec(first.stdout) as unknown as [string, string, string];
    const receiverArn = (await lambda.send(new GetFunctionCommand({ FunctionName: 'ecs-roll-receiver' }))).Configuration?.FunctionArn;

    await sandbox.clearCalls();
    const second = await install('--repo', 'acme/web');
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Nothing to change');
    expect(second.stdout).toContain(`${endpoint}/restapis/${apiId}/live/_user_request_/hooks/dockerhub/<token from the first install>`);
    expect(second.stdout).not.toContain(token);
    expect(mutating(await sandbox.calls())).toEqual([]);
    expect((await apisNamed('ecs-roll')).map((api) => api.id)).toEqual([apiId]);
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: 'ecs-roll-receiver' }))).Configuration?.FunctionArn).toBe(receiverArn);
    expect(await permissionStatements('ecs-roll-receiver')).toHaveLength(1);
    expect((await env('ecs-roll-receiver')).ECS_ROLL_TOKEN_SHA256).toBe(sha256(token));
    const wiring = await alarmWiring();
    expect(wiring.arns).toHaveLength(1);
    expect(wiring.subscriptions).toHaveLength(1);
    expect(wiring.sns).toHaveLength(1);
    expect(wiring.alarms).toHaveLength(1);

    // A changed setting updates the configuration and keeps the token.
    const changed = await install('--repo', 'acme/web', '--repo', 'acme/api', '--json');
    expect(changed.code).toBe(0);
    const report = JSON.parse(changed.stdout) as { actions: { kind: string }[]; tokenIssued: boolean };
    expect(report.actions.map((action) => action.kind)).toEqual(['update-function-configuration', 'update-function-configuration']);
    expect(report.tokenIssued).toBe(false);
    expect(await env('ecs-roll-worker')).toMatchObject({
      ECS_ROLL_REPOS: 'docker.io/acme/web,docker.io/acme/api',
      ECS_ROLL_TOKEN_SHA256: sha256(token),
    });

    const rotated = await install('--repo', 'acme/web', '--repo', 'acme/api', '--rotate-token');
    expect(rotated.code).toBe(0);
    const [, rotatedApi, newToken] = URL_PATTERN.exec(rotated.stdout) as unknown as [string, string, string];
    expect(rotatedApi).toBe(apiId);
    expect(newToken).not.toBe(token);
    expect((await env('ecs-roll-receiver')).ECS_ROLL_TOKEN_SHA256).toBe(sha256(newToken));
    expect((await env('ecs-roll-worker')).ECS_ROLL_TOKEN_SHA256).toBe(sha256(newToken));
    expect(await permissionStatements('ecs-roll-receiver')).toHaveLength(1);
  });

  it('--dry-run reads only and prints the resources and the policy', async () => {
    await seedEcs();
    await sandbox.clearCalls();
    const run = await install('--repo', 'acme/web', '--dry-run');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const calls = await sandbox.calls();
    expect(calls.length).toBeGreaterThan(0);
    expect(mutating(calls)).toEqual([]);
    expect(run.stdout).toContain('create IAM role ecs-roll');
    expect(run.stdout).toContain('create Lambda function ecs-roll-receiver');
    expect(run.stdout).toContain('create REST API ecs-roll');
    expect(run.stdout).toContain('"iam:PassRole"');
    expect(run.stdout).toContain('arn:aws:iam::123456789012:role/web-task');
    expect(run.stdout).not.toContain('billing-task');
    expect(run.stdout).toContain('create SNS topic ecs-roll-alarms');
    expect(run.stdout).toContain('allow sns.amazonaws.com to invoke ecs-roll-worker from arn:aws:sns:us-east-1:123456789012:ecs-roll-alarms');
    expect(run.stdout).toContain(
      'subscribe arn:aws:lambda:us-east-1:123456789012:function:ecs-roll-worker to SNS topic arn:aws:sns:us-east-1:123456789012:ecs-roll-alarms (protocol lambda)',
    );
    expect(run.stdout).toContain(
      'allow lambda.alarms.cloudwatch.amazonaws.com to invoke ecs-roll-worker from arn:aws:cloudwatch:us-east-1:123456789012:alarm:* (account 123456789012)',
    );
    expect(run.stdout).toContain('"cloudwatch:DescribeAlarms"');
    expect(run.stdout).toContain('Dry run: nothing was changed.');
    expect(await apisNamed('ecs-roll')).toEqual([]);
    expect(await topicArns('ecs-roll-alarms')).toEqual([]);
  });

  it('--json prints one document with every resource, and the token only in the URL of a first install', async () => {
    const run = await install('--repo', 'acme/web', '--name', 'hooks', '--stage', 'live', '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      kind: string;
      role: { arn: string };
      functions: { receiver: { arn: string }; worker: { arn: string } };
      api: { id: string };
      topic: { name: string; arn: string };
      stage: string;
      url: string;
      tokenIssued: boolean;
      logGroups: string[];
    };
    expect(report).toMatchObject({
      kind: 'install',
      role: { arn: 'arn:aws:iam::123456789012:role/hooks' },
      functions: {
        receiver: { arn: 'arn:aws:lambda:us-east-1:123456789012:function:hooks-receiver' },
        worker: { arn: 'arn:aws:lambda:us-east-1:123456789012:function:hooks-worker' },
      },
      topic: { name: 'hooks-alarms', arn: 'arn:aws:sns:us-east-1:123456789012:hooks-alarms' },
      stage: 'live',
      tokenIssued: true,
      logGroups: ['/aws/lambda/hooks-receiver', '/aws/lambda/hooks-worker'],
    });
    const [, apiId, token] = URL_PATTERN.exec(report.url) as unknown as [string, string, string];
    expect(apiId).toBe(report.api.id);
    expect(JSON.stringify({ ...report, url: undefined })).not.toContain(token);
    expect((await env('hooks-receiver')).ECS_ROLL_TOKEN_SHA256).toBe(sha256(token));
    expect(await topicArns('hooks-alarms')).toEqual([report.topic.arn]);
  });

  it('refuses bad input with exit 2 before any AWS call', async () => {
    await sandbox.clearCalls();
    const bad: string[][] = [
      ['install'],
      ['install', '--repo', 'acme/web:1.0'],
      ['install', '--repo', `acme/web@sha256:${'a'.repeat(64)}`],
      ['install', '--repo', 'Not A Repo'],
      ['install', '--repo', 'acme/web', '--policy', 'newest'],
      ['install', '--repo', 'acme/web', '--policy', 'match:'],
      ['install', '--repo', 'acme/web', '--timeout', '0'],
      ['install', '--repo', 'acme/web', '--timeout', '-5'],
      ['install', '--repo', 'acme/web', '--name', 'has space'],
      ['install', '--repo', 'acme/web', '--name', 'x'.repeat(41)],
      ['install', '--repo', 'acme/web', '--strategy', 'yolo'],
      ['uninstall', '--name', 'bad/name'],
    ];
    for (const args of bad) {
      const run = await runCli([...args, '--endpoint-url', endpoint]);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr).not.toBe('');
    }
    expect(await sandbox.calls()).toEqual([]);
  });
});
