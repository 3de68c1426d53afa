import { describe, expect, it } from 'vitest';
import { functionArn, installNames, installPolicyDocument, samePolicy } from '../../src/core/install-plan.js';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const names = installNames('hooks');

describe('installPolicyDocument', () => {
  const document = installPolicyDocument({
    region: REGION,
    account: ACCOUNT,
    names,
    clusters: ['prod', 'staging'],
    passRoleArns: ['arn:aws:iam::111122223333:role/web-task', 'arn:aws:iam::111122223333:role/web-exec', 'arn:aws:iam::111122223333:role/web-task'],
  });

  it('is exactly the least-privilege document', () => {
    expect(document).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'EcsRead',
          Effect: 'Allow',
          Action: [
            'ecs:DescribeServices',
            'ecs:DescribeTaskDefinition',
            'ecs:DescribeTasks',
            'ecs:ListClusters',
            'ecs:ListServices',
            'ecs:ListTasks',
            'ecs:ListServiceDeployments',
            'ecs:DescribeServiceDeployments',
            'elasticloadbalancing:DescribeTargetHealth',
            'ecs:DescribeContainerInstances',
          ],
          Resource: '*',
        },
        { Sid: 'EcsRegisterTaskDefinition', Effect: 'Allow', Action: 'ecs:RegisterTaskDefinition', Resource: '*' },
        { Sid: 'EcsTagTaskDefinition', Effect: 'Allow', Action: 'ecs:TagResource', Resource: 'arn:aws:ecs:eu-west-1:111122223333:task-definition/*' },
        {
          Sid: 'EcsUpdateService',
          Effect: 'Allow',
          Action: 'ecs:UpdateService',
          Resource: ['arn:aws:ecs:eu-west-1:111122223333:service/prod/*', 'arn:aws:ecs:eu-west-1:111122223333:service/staging/*'],
        },
        {
          Sid: 'EcsStopTask',
          Effect: 'Allow',
          Action: 'ecs:StopTask',
          Resource: ['arn:aws:ecs:eu-west-1:111122223333:task/prod/*', 'arn:aws:ecs:eu-west-1:111122223333:task/staging/*'],
        },
        {
          Sid: 'EcsServiceTags',
          Effect: 'Allow',
          Action: ['ecs:ListTagsForResource', 'ecs:TagResource'],
          Resource: ['arn:aws:ecs:eu-west-1:111122223333:service/prod/*', 'arn:aws:ecs:eu-west-1:111122223333:service/staging/*'],
        },
        {
          Sid: 'CloudWatchReadAlarms',
          Effect: 'Allow',
          Action: ['cloudwatch:DescribeAlarms', 'cloudwatch:ListTagsForResource'],
          Resource: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:*',
        },
        { Sid: 'AutoScalingBounds', Effect: 'Allow', Action: 'application-autoscaling:DescribeScalableTargets', Resource: '*' },
        {
          Sid: 'PassTaskRoles',
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: ['arn:aws:iam::111122223333:role/web-exec', 'arn:aws:iam::111122223333:role/web-task'],
          Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        },
        {
          Sid: 'WriteLogs',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: 'arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/hooks-worker:*',
        },
        { Sid: 'QueueSendFollow', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:eu-west-1:111122223333:hooks-follow' },
        {
          Sid: 'QueueConsume',
          Effect: 'Allow',
          Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl'],
          Resource: ['arn:aws:sqs:eu-west-1:111122223333:hooks-pushes.fifo', 'arn:aws:sqs:eu-west-1:111122223333:hooks-follow'],
        },
      ],
    });
  });

  it('has no wildcard action, and a wildcard resource only for calls without resource-level permissions', () => {
    for (const statement of document.Statement) {
      const actions = typeof statement.Action === 'string' ? [statement.Action] : statement.Action;
      for (const action of actions) expect(action).not.toContain('*');
      const resources = typeof statement.Resource === 'string' ? [statement.Resource] : statement.Resource;
      if (resources.includes('*')) {
        // DescribeTargetHealth and DescribeScalableTargets, like ECS's reads, take no resource-level permission.
        expect(
          actions.every((action) =>
            /^ecs:(List|Describe)|^ecs:RegisterTaskDefinition$|^elasticloadbalancing:DescribeTargetHealth$|^application-autoscaling:DescribeScalableTargets$/.test(
              action,
            ),
          ),
        ).toBe(true);
      }
    }
  });

  it('lets the role pass only the discovered roles, only to ECS tasks, and invoke no function', () => {
    const passing = document.Statement.filter((statement) => JSON.stringify(statement.Action).includes('iam:PassRole'));
    expect(passing).toHaveLength(1);
    expect(passing[0]?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    // The worker calls no Lambda API: only the receiver's fallback without a pushes queue invokes, under its own role.
    expect(JSON.stringify(document)).not.toContain('lambda:');
    expect(JSON.stringify(document)).not.toContain(functionArn({ region: REGION, account: ACCOUNT }, 'hooks-worker'));
  });

  it('omits PassRole when no task definition names a role, and scopes to every cluster without --cluster', () => {
    const open = installPolicyDocument({ region: REGION, account: ACCOUNT, names, clusters: [], passRoleArns: [] });
    expect(JSON.stringify(open)).not.toContain('iam:PassRole');
    for (const sid of ['EcsUpdateService', 'EcsServiceTags']) {
      expect(open.Statement.find((statement) => statement.Sid === sid)?.Resource).toEqual(['arn:aws:ecs:eu-west-1:111122223333:service/*/*']);
    }
  });

  it('names each service that still has a pre-2021 short ARN, which the cluster patterns do not match', () => {
    const short = 'arn:aws:ecs:eu-west-1:111122223333:service/legacy';
    const input = { region: REGION, account: ACCOUNT, names, clusters: ['prod'], passRoleArns: [] };
    const withShort = installPolicyDocument({ ...input, shortArnServices: [short, short] });
    expect(withShort.Statement.find((statement) => statement.Sid === 'EcsUpdateService')?.Resource).toEqual([
      'arn:aws:ecs:eu-west-1:111122223333:service/prod/*',
      short,
    ]);
    // Tagging a short-ARN service is refused by ECS itself, so the tag statement stays as it was.
    const tags = (document: typeof withShort) => document.Statement.find((statement) => statement.Sid === 'EcsServiceTags');
    expect(tags(withShort)).toEqual(tags(installPolicyDocument(input)));
  });

  it('lets the alarm path read alarms of this account and region only, and tag services only', () => {
    const tagging = document.Statement.filter((statement) => JSON.stringify(statement.Action).includes('TagResource'));
    expect(tagging.map((statement) => statement.Resource)).toEqual([
      'arn:aws:ecs:eu-west-1:111122223333:task-definition/*',
      ['arn:aws:ecs:eu-west-1:111122223333:service/prod/*', 'arn:aws:ecs:eu-west-1:111122223333:service/staging/*'],
    ]);
    const cloudwatch = document.Statement.filter((statement) => JSON.stringify(statement.Action).includes('cloudwatch:'));
    expect(cloudwatch.map((statement) => statement.Resource)).toEqual(['arn:aws:cloudwatch:eu-west-1:111122223333:alarm:*']);
    expect(JSON.stringify(document)).not.toMatch(/cloudwatch:(Put|Set|Delete|Tag)/);
  });

  it('uses the partition of the region', () => {
    const china = installPolicyDocument({ region: 'cn-north-1', account: ACCOUNT, names, clusters: [], passRoleArns: [] });
    expect(JSON.stringify(china)).toContain('arn:aws-cn:ecs:cn-north-1:');
    expect(JSON.stringify(china)).not.toContain('arn:aws:');
  });
});

describe('samePolicy', () => {
  it('ignores key order and one-item lists, as IAM rewrites them', () => {
    expect(samePolicy({ a: ['x'], b: 1 }, { b: 1, a: 'x' })).toBe(true);
    expect(samePolicy({ a: ['x', 'y'] }, { a: ['y', 'x'] })).toBe(false);
  });
});

// -----------------------------------------------------------------------------------------------
