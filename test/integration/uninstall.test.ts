import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, DeleteFunctionCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { CreateTopicCommand, ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { zipSync } from 'fflate';
import { beforeEach, describe, expect, it } from 'vitest';
import { apisNamed, iam, install, lambda, logs, mutating, sandbox, seedEcs, sns, topicArns, uninstall } from './install-world.js';

beforeEach(async () => {
  await sandbox.reset();
});

describe('install against the sandbox', () => {
  it('uninstall removes everything install made, and a second uninstall finds it all gone', async () => {
    expect((await install('--repo', 'acme/web')).code).toBe(0);
    // --dry-run first: the same plan, nothing deleted.
    await sandbox.clearCalls();
    const dry = await uninstall('--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    const planned = JSON.parse(dry.stdout) as {
      dryRun: boolean;
      wouldDelete: number;
      deleted: number;
      resources: { kind: string; status: string }[];
    };
    expect(planned).toMatchObject({ dryRun: true, deleted: 0 });
    expect(planned.resources.filter((resource) => resource.status === 'would delete').map((resource) => resource.kind)).toEqual([
      'rest-api',
      'sns-topic',
      'event-source-mapping',
      'event-source-mapping',
      'sqs-queue',
      'sqs-queue',
      'sqs-queue',
      'sqs-queue',
      'lambda-function',
      'lambda-function',
      'iam-role-policy',
      'iam-role',
      'iam-role-policy',
      'iam-role',
      'log-group',
      'log-group',
    ]);
    expect(planned.wouldDelete).toBe(16);
    expect(mutating(await sandbox.calls())).toEqual([]);
    const human = await uninstall('--dry-run');
    expect(human.stdout).toContain('would delete lambda-function ecs-roll-worker');
    expect(human.stdout).toContain('nothing was changed');
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: 'ecs-roll-worker' }))).Configuration?.FunctionName).toBe('ecs-roll-worker');

    const run = await uninstall('--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      deleted: number;
      alreadyGone: number;
      resources: { kind: string; status: string; id?: string; subscriptions?: number }[];
    };
    expect(report.resources.map((resource) => `${resource.kind}:${resource.status}`)).toEqual([
      'rest-api:deleted',
      'eventbridge-rule:already gone',
      'sns-topic:deleted',
      'event-source-mapping:deleted',
      'event-source-mapping:deleted',
      'sqs-queue:deleted',
      'sqs-queue:deleted',
      'sqs-queue:deleted',
      'sqs-queue:deleted',
      'lambda-function:deleted',
      'lambda-function:deleted',
      'iam-role-policy:deleted',
      'iam-role:deleted',
      'iam-role-policy:deleted',
      'iam-role:deleted',
      'log-group:deleted',
      'log-group:deleted',
    ]);

    await expect(lambda.send(new GetFunctionCommand({ FunctionName: 'ecs-roll-receiver' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: 'ecs-roll-worker' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(iam.send(new GetRoleCommand({ RoleName: 'ecs-roll' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    expect(await apisNamed('ecs-roll')).toEqual([]);
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/ecs-roll-' }));
    expect(groups.logGroups ?? []).toEqual([]);
    expect(report.resources.find((resource) => resource.kind === 'sns-topic')).toMatchObject({
      id: 'arn:aws:sns:us-east-1:123456789012:ecs-roll-alarms',
      subscriptions: 1,
    });
    expect(await topicArns('ecs-roll-alarms')).toEqual([]);
    expect(
      (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:ecs-roll-alarms' })).catch(() => undefined))
        ?.Subscriptions ?? [],
    ).toEqual([]);

    const again = await uninstall();
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to remove');
    expect(again.stdout).toContain('sns-topic ecs-roll-alarms: already gone');
    expect(again.stdout.match(/already gone/g)?.length).toBeGreaterThanOrEqual(8);
  });

  it('will not take over, or remove, a role of the same name that another tool made', async () => {
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'ecs-roll',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    await sandbox.clearCalls();
    const run = await install('--repo', 'acme/web');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('IAM role ecs-roll exists but is not tagged ecs-roll:install=ecs-roll');
    expect(mutating(await sandbox.calls())).toEqual([]);

    const removal = await uninstall('--json');
    expect(removal.code).toBe(0);
    const report = JSON.parse(removal.stdout) as { resources: { kind: string; status: string }[] };
    expect(report.resources.find((resource) => resource.kind === 'iam-role')?.status).toBe('not ours, left alone');
    expect((await iam.send(new GetRoleCommand({ RoleName: 'ecs-roll' }))).Role?.RoleName).toBe('ecs-roll');
  });

  it('uninstall keeps the role while a function it leaves in place still runs as it', async () => {
    await seedEcs();
    expect((await install('--repo', 'acme/web')).code).toBe(0);
    // Someone replaces the worker with a function of their own (no install tag) that runs as the install's role.
    const worker = await lambda.send(new GetFunctionCommand({ FunctionName: 'ecs-roll-worker' }));
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'ecs-roll-worker' }));
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'ecs-roll-worker',
        Role: worker.Configuration?.Role,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Code: { ZipFile: zipSync({ 'index.mjs': new TextEncoder().encode('export const handler = async () => ({});') }) },
      }),
    );
    const removal = await uninstall('--json');
    expect(removal.code, removal.stderr).toBe(0);
    const report = JSON.parse(removal.stdout) as { resources: { kind: string; name: string; status: string; reason?: string }[] };
    expect(report.resources.find((resource) => resource.kind === 'lambda-function' && resource.name === 'ecs-roll-worker')?.status).toBe(
      'not ours, left alone',
    );
    const role = report.resources.find((resource) => resource.kind === 'iam-role');
    expect(role).toMatchObject({ status: 'not ours, left alone' });
    expect(role?.reason).toContain('ecs-roll-worker');
    expect((await iam.send(new GetRoleCommand({ RoleName: 'ecs-roll' }))).Role?.Arn).toBe(worker.Configuration?.Role);
  });

  it('will not take over, or remove, an alarm topic of the same name that another tool made', async () => {
    const foreign = await sns.send(new CreateTopicCommand({ Name: 'ecs-roll-alarms' }));
    await sandbox.clearCalls();
    const run = await install('--repo', 'acme/web');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('SNS topic ecs-roll-alarms exists but is not tagged ecs-roll:install=ecs-roll');
    expect(mutating(await sandbox.calls())).toEqual([]);

    const removal = await uninstall('--json');
    expect(removal.code).toBe(0);
    const report = JSON.parse(removal.stdout) as { resources: { kind: string; status: string }[] };
    expect(report.resources.find((resource) => resource.kind === 'sns-topic')?.status).toBe('not ours, left alone');
    expect(await topicArns('ecs-roll-alarms')).toEqual([foreign.TopicArn]);
  });
});
