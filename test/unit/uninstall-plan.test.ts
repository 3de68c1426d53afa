import { describe, expect, it } from 'vitest';
import { uninstallWith } from '../../src/app/uninstall.js';
import { installNames } from '../../src/core/install-names.js';
import { planUninstall, type ObservedRemoval } from '../../src/core/uninstall-plan.js';
import { awsError, stubClients } from './sdk-stub.js';

const names = installNames('hooks');
const TAG = { 'ecs-roll:install': 'hooks' };
const ROLE_ARN = 'arn:aws:iam::111122223333:role/hooks';

const nothing: ObservedRemoval = {
  apiIds: [],
  ecr: { permission: false, ruleName: 'hooks-ecr-push' },
  mappings: [],
  queues: [{ name: 'hooks-pushes-dead.fifo' }, { name: 'hooks-pushes.fifo' }],
  functions: {},
  roles: [{ name: 'hooks', policyName: 'hooks-policy' }],
  logGroups: {},
};

const everything: ObservedRemoval = {
  apiIds: ['api1'],
  ecr: { permission: true, ruleName: 'hooks-ecr-push', rule: { name: 'hooks-ecr-push', arn: 'arn:rule', tags: TAG, targetIds: ['worker'] } },
  topic: { arn: 'arn:aws:sns:eu-west-1:111122223333:hooks-alarms', tags: TAG, subscriptions: 2 },
  mappings: [{ uuid: 'u1', queue: 'hooks-pushes.fifo' }],
  queues: [{ name: 'hooks-pushes.fifo', url: 'https://q/p', tags: TAG }],
  functions: { receiver: { tags: TAG, roleArn: ROLE_ARN }, worker: { tags: TAG, roleArn: ROLE_ARN } },
  roles: [{ name: 'hooks', policyName: 'hooks-policy', found: { arn: ROLE_ARN, tags: TAG, hasInlinePolicy: true } }],
  logGroups: { receiver: true, worker: true },
};

const summary = (observed: ObservedRemoval) => planUninstall(names, observed).map((step) => `${step.kind} ${step.name}: ${step.decision}`);

describe('planUninstall', () => {
  it('finds everything already gone when nothing exists', () => {
    expect(summary(nothing)).toEqual([
      'rest-api hooks: already gone',
      'eventbridge-rule hooks-ecr-push: already gone',
      'sns-topic hooks-alarms: already gone',
      'sqs-queue hooks-pushes-dead.fifo: already gone',
      'sqs-queue hooks-pushes.fifo: already gone',
      'lambda-function hooks-receiver: already gone',
      'lambda-function hooks-worker: already gone',
      'iam-role-policy hooks-policy: already gone',
      'iam-role hooks: already gone',
      'log-group /aws/lambda/hooks-receiver: already gone',
      'log-group /aws/lambda/hooks-worker: already gone',
    ]);
  });

  it('deletes what the install made, stopping new work first and the role after its policy', () => {
    expect(summary(everything)).toEqual([
      'rest-api hooks: delete',
      'lambda-permission hooks-worker ecs-roll-eventbridge-invoke: delete',
      'eventbridge-rule hooks-ecr-push: delete',
      'sns-topic hooks-alarms: delete',
      'event-source-mapping hooks-pushes.fifo → hooks-worker: delete',
      'sqs-queue hooks-pushes.fifo: delete',
      'lambda-function hooks-receiver: delete',
      'lambda-function hooks-worker: delete',
      'iam-role-policy hooks-policy: delete',
      'iam-role hooks: delete',
      'log-group /aws/lambda/hooks-receiver: delete',
      'log-group /aws/lambda/hooks-worker: delete',
    ]);
    expect(planUninstall(names, everything).find((step) => step.kind === 'sns-topic')).toMatchObject({ subscriptions: 2, id: everything.topic?.arn });
  });

  it('leaves what has no install tag, the role a foreign function still runs as, and that function’s log group', () => {
    const observed: ObservedRemoval = {
      ...everything,
      topic: { arn: 'arn:t', tags: {}, subscriptions: 0 },
      queues: [{ name: 'hooks-pushes.fifo', url: 'https://q/p', tags: { 'ecs-roll:install': 'other' } }],
      functions: { receiver: { tags: TAG, roleArn: ROLE_ARN }, worker: { tags: {}, roleArn: ROLE_ARN } },
    };
    const steps = planUninstall(names, observed);
    const decision = (kind: string, name: string) => steps.find((step) => step.kind === kind && step.name === name);
    expect(decision('sns-topic', 'hooks-alarms')?.decision).toBe('not ours, left alone');
    expect(decision('sqs-queue', 'hooks-pushes.fifo')?.decision).toBe('not ours, left alone');
    expect(decision('lambda-function', 'hooks-worker')?.decision).toBe('not ours, left alone');
    expect(decision('iam-role', 'hooks')).toMatchObject({ decision: 'not ours, left alone', reason: expect.stringContaining('hooks-worker') });
    expect(steps.some((step) => step.kind === 'iam-role-policy')).toBe(false);
    expect(decision('log-group', '/aws/lambda/hooks-worker')?.decision).toBe('not ours, left alone');
    expect(decision('log-group', '/aws/lambda/hooks-receiver')?.decision).toBe('delete');
  });

  it('detaches and deletes the install’s managed policies before the worker’s role, also when the role is gone', () => {
    const managedPolicies = [{ name: 'hooks-policy-1', arn: 'arn:aws:iam::111122223333:policy/ecs-roll/hooks/hooks-policy-1', attached: true }];
    const iamSteps = (observed: ObservedRemoval) =>
      planUninstall(names, observed)
        .filter((step) => step.kind.startsWith('iam-'))
        .map((step) => `${step.kind} ${step.name}: ${step.decision}`);
    expect(iamSteps({ ...everything, managedPolicies })).toEqual([
      'iam-managed-policy hooks-policy-1: delete',
      'iam-role-policy hooks-policy: delete',
      'iam-role hooks: delete',
    ]);
    expect(planUninstall(names, { ...everything, managedPolicies }).find((step) => step.kind === 'iam-managed-policy')?.address).toBe('hooks');
    expect(iamSteps({ ...nothing, managedPolicies: [{ ...managedPolicies[0]!, attached: false }] })[0]).toBe(
      'iam-managed-policy hooks-policy-1: delete',
    );
  });

  it('leaves a role another tool made, and counts a topic gone between two reads as gone', () => {
    const steps = planUninstall(names, {
      ...everything,
      topic: { arn: 'arn:t', subscriptions: 0 },
      roles: [{ name: 'hooks', policyName: 'hooks-policy', found: { arn: ROLE_ARN, tags: {}, hasInlinePolicy: true } }],
    });
    expect(steps.find((step) => step.kind === 'sns-topic')?.decision).toBe('already gone');
    expect(steps.filter((step) => step.kind.startsWith('iam-')).map((step) => `${step.kind}: ${step.decision}`)).toEqual([
      'iam-role: not ours, left alone',
    ]);
  });
});

describe('uninstall against a stubbed SDK', () => {
  // Every read answers "nothing of the install's here" except one REST API and the worker's log group.
  const respond = ({ command }: { command: string }) => {
    if (command === 'GetRestApis') return { items: [{ id: 'api1', name: 'hooks', tags: TAG }] };
    if (command === 'DescribeLogGroups') return { logGroups: [{ logGroupName: '/aws/lambda/hooks-worker' }] };
    if (command === 'ListTopics' || command === 'ListEventSourceMappings') return {};
    if (command === 'GetQueueUrl') throw awsError('QueueDoesNotExist');
    if (command.startsWith('Get') || command === 'DescribeRule')
      throw awsError(command === 'GetRole' ? 'NoSuchEntityException' : 'ResourceNotFoundException');
    return {};
  };
  const deletes = (sent: { command: string }[]) => sent.map((entry) => entry.command).filter((command) => command.startsWith('Delete'));

  it('--dry-run deletes nothing and reports what it would', async () => {
    const { clients, sent } = stubClients(respond);
    const reports = await uninstallWith(clients, { name: 'hooks', signal: new AbortController().signal, dryRun: true });
    expect(deletes(sent)).toEqual([]);
    expect(reports.filter((report) => report.status === 'would delete').map((report) => report.kind)).toEqual(['rest-api', 'log-group']);
  });

  it('deletes in plan order and stops between two deletions once interrupted', async () => {
    const controller = new AbortController();
    const { clients, sent } = stubClients((entry) => {
      if (entry.command === 'DeleteRestApi') controller.abort();
      return respond(entry);
    });
    await expect(uninstallWith(clients, { name: 'hooks', signal: controller.signal })).rejects.toThrow(/interrupted/);
    expect(deletes(sent)).toEqual(['DeleteRestApi']);
  });
});
