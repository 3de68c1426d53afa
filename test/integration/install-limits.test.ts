// install within IAM's and Lambda's size limits, which the sandbox enforces as AWS does (test/sandbox/aws_limits.py):
// a role's inline policies 10,240 characters together, a managed policy 6,144, 10 managed policies per role,
// a function's environment 4 KB. Past them install moves the worker's extra permissions into managed policies
// and the allow-list into the settings file in the functions' zip.
import { CreateClusterCommand, DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import {
  CreatePolicyCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListPoliciesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { sandboxControl } from '../sandbox/client.js';
import { container, createCluster, createService, ecsClient, REGION, registerTaskDefinition, runCli } from './helpers.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
const config = { endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
const cli = (...args: string[]) => runCli([...args, '--endpoint-url', endpoint]);
const URL_PATTERN = /http:\/\/127\.0\.0\.1:\d+\/restapis\/[a-z0-9]+\/live\/_user_request_\/hooks\/dockerhub\/[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/;
let ecs: ECSClient;
let iam: IAMClient;
let lambda: LambdaClient;
let logs: CloudWatchLogsClient;

beforeAll(() => {
  ecs = ecsClient(endpoint);
  iam = new IAMClient(config);
  lambda = new LambdaClient(config);
  logs = new CloudWatchLogsClient(config);
});

beforeEach(async () => {
  await sandbox.reset();
});

const size = (text: string | undefined) => JSON.stringify(JSON.parse(decodeURIComponent(text ?? '{}'))).length;

async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

describe('install within IAM and Lambda limits', () => {
  it('with 60 clusters, puts what passes the inline policy into managed policies, and takes them away again', async () => {
    const clusters = Array.from({ length: 60 }, (_, index) => `cluster-with-a-rather-long-name-${index}`);
    for (const cluster of clusters) await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const run = await cli('install', '--repo', 'acme/web', ...clusters.flatMap((cluster) => ['--cluster', cluster]), '--json');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { managedPolicies: string[]; policy: { document: { Statement: unknown[] } } };
    expect(report.managedPolicies.length).toBeGreaterThan(0);
    expect(JSON.stringify(report.policy.document).length).toBeGreaterThan(10_240);

    const inline = await iam.send(new GetRolePolicyCommand({ RoleName: 'ecs-roll', PolicyName: 'ecs-roll-policy' }));
    expect(size(inline.PolicyDocument)).toBeLessThanOrEqual(10_240);
    const attached = (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'ecs-roll' }))).AttachedPolicies ?? [];
    expect(attached.map((policy) => policy.PolicyArn).sort()).toEqual([...report.managedPolicies].sort());
    // What the sandbox enforces, as IAM does: the whole document does not fit inline, nor in one managed policy.
    const whole = JSON.stringify(report.policy.document);
    await expect(iam.send(new PutRolePolicyCommand({ RoleName: 'ecs-roll', PolicyName: 'whole', PolicyDocument: whole }))).rejects.toMatchObject({
      name: 'LimitExceededException',
    });
    await expect(iam.send(new CreatePolicyCommand({ PolicyName: 'whole', PolicyDocument: whole }))).rejects.toMatchObject({
      name: 'LimitExceededException',
    });

    // Again with the same settings: nothing to change. With one cluster: the managed policies go.
    const again = await cli('install', '--repo', 'acme/web', ...clusters.flatMap((cluster) => ['--cluster', cluster]), '--dry-run');
    expect(again.stdout).not.toMatch(/managed IAM policy/);
    const fewer = await cli('install', '--repo', 'acme/web', '--cluster', clusters[0] ?? '');
    expect(fewer.code, fewer.stderr).toBe(0);
    expect(fewer.stdout).toMatch(/detach managed IAM policy/);
    expect((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'ecs-roll' }))).AttachedPolicies ?? []).toEqual([]);
    expect((await iam.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: '/ecs-roll/' }))).Policies ?? []).toEqual([]);
  });

  it('uninstall detaches and deletes the managed policies with the role', async () => {
    const clusters = Array.from({ length: 60 }, (_, index) => `cluster-with-a-rather-long-name-${index}`);
    for (const cluster of clusters) await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    expect((await cli('install', '--repo', 'acme/web', ...clusters.flatMap((cluster) => ['--cluster', cluster]))).code).toBe(0);
    const removal = await cli('uninstall', '--json');
    expect(removal.code, removal.stderr).toBe(0);
    const report = JSON.parse(removal.stdout) as { resources: { kind: string; status: string }[] };
    expect(report.resources.filter((resource) => resource.kind === 'iam-managed-policy').map((resource) => resource.status)).toContain('deleted');
    expect((await iam.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: '/ecs-roll/' }))).Policies ?? []).toEqual([]);
  });

  it('installs an allow-list of 1,000 repositories, keeps the environment small, and the worker still enforces it', async () => {
    await createCluster(ecs, 'prod');
    await createService(ecs, 'prod', 'web', await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]), { desiredCount: 1 });
    const repositories = [...Array.from({ length: 999 }, (_, index) => `acme-org/service-number-${index}`), 'acme/web'];
    const run = await cli('install', ...repositories.flatMap((repository) => ['--repo', repository]));
    expect(run.code, run.stderr).toBe(0);
    const worker = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'ecs-roll-worker' }));
    const variables = worker.Environment?.Variables ?? {};
    const bytes = Object.entries(variables).reduce((total, [key, value]) => total + key.length + value.length, 0);
    expect(bytes).toBeLessThanOrEqual(2048);
    expect(variables).toMatchObject({ ECS_ROLL_SETTINGS_FILE: 'ecs-roll-settings.json', ECS_ROLL_REPOS_DIGEST: expect.stringMatching(/^1000:/) });
    expect(variables.ECS_ROLL_REPOS).toBeUndefined();
    // What the sandbox enforces, as Lambda does: the list in the environment would pass 4 KB.
    await expect(
      lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: 'ecs-roll-worker',
          Environment: { Variables: { ...variables, ECS_ROLL_REPOS: repositories.join(',') } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });

    // A push of the last repository of the list rolls out (the receiver and the worker read the list from the file).
    const url = URL_PATTERN.exec(run.stdout)?.[0] ?? '';
    const body = {
      push_data: { tag: '1.1', pushed_at: Math.floor(Date.now() / 1000) },
      repository: { repo_name: 'acme/web', namespace: 'acme', name: 'web' },
    };
    const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(answer.status).toBeLessThan(300);
    await eventually('the rollout of acme/web:1.1', async () => {
      const service = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services?.[0];
      return service?.taskDefinition?.endsWith(':2') === true ? true : undefined;
    });
    // A job for a repository not on the list, handed to the worker directly, is refused by the worker itself.
    const job = {
      version: 1,
      kind: 'dockerhub-push',
      image: 'acme/intruder:1.0',
      repository: 'docker.io/acme/intruder',
      tag: '1.0',
      pushedAt: Date.now(),
    };
    await lambda.send(
      new InvokeCommand({ FunctionName: 'ecs-roll-worker', InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(job)) }),
    );
    const refused = await eventually('the worker refusing the job', async () => {
      const events = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/ecs-roll-worker' }));
      return (events.events ?? []).map((event) => event.message ?? '').find((line) => line.includes('job-refused'));
    });
    expect(refused).toContain("not in this install's allow-list");

    // A re-install with the same list changes nothing; the list is compared by its digest.
    const again = await cli('install', ...repositories.flatMap((repository) => ['--repo', repository]), '--dry-run');
    expect(again.stdout).not.toMatch(/~ repositories/);
  });
});
