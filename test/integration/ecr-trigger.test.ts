// An ECR push as a trigger, end to end through the sandbox: PutImage puts ECR's "ECR Image Action"
// on the default bus (test/sandbox/ecr_events.py), the EventBridge rule that `install --source ecr`
// created delivers it to the worker, and the worker checks the tag in ECR (with its role's
// ecr:BatchGetImage) and rolls the services, pinned to the pushed digest.
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { APIGatewayClient, GetRestApisCommand } from '@aws-sdk/client-api-gateway';
import { DescribeRuleCommand, EventBridgeClient, ListTagsForResourceCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { GetPolicyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { sandboxControl } from '../sandbox/client.js';
import { eventuallyWith } from '../eventually.js';
import { container, createCluster, createService, ecsClient, imagesOf, REGION, registerTaskDefinition, revisionCount, runCli } from './helpers.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
const config = { endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
const ACCOUNT = '123456789012';
const HOST = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
let ecs: ECSClient;
let ecr: ECRClient;

const manifest = (layer: string) =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 2, digest: `sha256:${'c'.repeat(64)}` },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 2, digest: `sha256:${layer.repeat(64)}` }],
  });

async function workerLog(): Promise<string> {
  const logs = new CloudWatchLogsClient(config);
  try {
    const answer = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/ecs-roll-worker' }));
    return (answer.events ?? []).map((event) => event.message ?? '').join('');
  } catch {
    return '';
  }
}

/** Waits on the worker; a failure shows its log. */
const eventually = eventuallyWith({ ms: 120_000, explain: async () => `worker log:\n${await workerLog()}` });

async function ruleExists(): Promise<boolean> {
  try {
    await new EventBridgeClient(config).send(new DescribeRuleCommand({ Name: 'ecs-roll-ecr-push' }));
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return false;
    throw error;
  }
}

/** The Sids of the worker's resource policy; none when it has no policy (or no longer exists). */
async function workerPermissions(): Promise<string[]> {
  try {
    const answer = await new LambdaClient(config).send(new GetPolicyCommand({ FunctionName: 'ecs-roll-worker' }));
    return ((JSON.parse(answer.Policy ?? '{}') as { Statement?: { Sid?: string }[] }).Statement ?? []).map((statement) => statement.Sid ?? '');
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return [];
    throw error;
  }
}

beforeAll(() => {
  ecs = ecsClient(endpoint);
  ecr = new ECRClient(config);
});

beforeEach(async () => {
  await sandbox.reset();
});

describe('ECR pushes roll out through EventBridge and the worker', () => {
  it('a push to an allowed repository moves its services to the tag, pinned to the digest; another repository stays', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'acme/app' }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'acme/other' }));
    await ecr.send(new PutImageCommand({ repositoryName: 'acme/app', imageManifest: manifest('a'), imageTag: '1.0' }));
    await createCluster(ecs, 'prod');
    await createService(ecs, 'prod', 'app', await registerTaskDefinition(ecs, 'app', [container('app', `${HOST}/acme/app:1.0`)]));
    await createService(ecs, 'prod', 'other', await registerTaskDefinition(ecs, 'other', [container('other', `${HOST}/acme/other:1.0`)]));

    const installed = await runCli(
      ['install', '--repo', `${HOST}/acme/app`, '--source', 'ecr', '--cluster', 'prod', '--pin-digest', '--endpoint-url', endpoint],
      { env: { ECS_ROLL_VERIFY: 'true' } },
    );
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toContain('No webhook URL');
    expect(installed.stdout).not.toContain('/hooks/dockerhub/');

    // The rule: tagged for the install, the worker its target, and the worker's permission from it alone.
    const events = new EventBridgeClient(config);
    const rule = await events.send(new DescribeRuleCommand({ Name: 'ecs-roll-ecr-push' }));
    expect(JSON.parse(rule.EventPattern ?? '{}')).toEqual({
      source: ['aws.ecr'],
      'detail-type': ['ECR Image Action'],
      detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': ['acme/app'] },
    });
    expect((await events.send(new ListTagsForResourceCommand({ ResourceARN: rule.Arn }))).Tags).toContainEqual({
      Key: 'ecs-roll:install',
      Value: 'ecs-roll',
    });
    expect((await events.send(new ListTargetsByRuleCommand({ Rule: 'ecs-roll-ecr-push' }))).Targets?.map((target) => target.Arn)).toEqual([
      `arn:aws:lambda:${REGION}:${ACCOUNT}:function:ecs-roll-worker`,
    ]);
    expect(await workerPermissions()).toContain('ecs-roll-eventbridge-invoke');
    // ECR alone needs no public endpoint: no REST API.
    expect((await new APIGatewayClient(config).send(new GetRestApisCommand({}))).items ?? []).toEqual([]);

    // Running install again without --source keeps the ECR source: still no API, the rule stays.
    // (ECS_ROLL_VERIFY as for the first run: the test environment turns the registry check off otherwise.)
    const again = await runCli(['install', '--repo', `${HOST}/acme/app`, '--endpoint-url', endpoint], { env: { ECS_ROLL_VERIFY: 'true' } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('No webhook URL');
    expect(await ruleExists()).toBe(true);
    expect((await new APIGatewayClient(config).send(new GetRestApisCommand({}))).items ?? []).toEqual([]);

    // Outside the allow-list: the rule does not match it, so nothing moves (checked after the allowed push below,
    // which the worker handles after any delivery of this one).
    await ecr.send(new PutImageCommand({ repositoryName: 'acme/other', imageManifest: manifest('d'), imageTag: '2.0' }));

    const pushed = await ecr.send(new PutImageCommand({ repositoryName: 'acme/app', imageManifest: manifest('b'), imageTag: '1.1' }));
    const digest = pushed.image?.imageId?.imageDigest ?? '';
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const wanted = `${HOST}/acme/app:1.1@${digest}`;
    await eventually('the service on the pushed digest', async () => {
      const answer = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['app'] }));
      const images = await imagesOf(ecs, answer.services?.[0]?.taskDefinition ?? '');
      return images.app === wanted ? true : undefined;
    });
    expect(
      await imagesOf(
        ecs,
        (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['other'] }))).services?.[0]?.taskDefinition ?? '',
      ),
    ).toEqual({
      other: `${HOST}/acme/other:1.0`,
    });
    expect(await revisionCount(ecs, 'other')).toBe(1);
    expect(await workerLog()).not.toContain('acme/other');

    const removed = await runCli(['uninstall', '--endpoint-url', endpoint]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('deleted eventbridge-rule ecs-roll-ecr-push');
    expect(removed.stdout).toContain('deleted lambda-permission');
    expect(await ruleExists()).toBe(false);
  });

  it('--source with an unknown value exits 2 before any AWS call', async () => {
    // An endpoint nothing listens on: any AWS call would fail otherwise than with a usage error.
    const result = await runCli(['install', '--repo', `${HOST}/acme/app`, '--source', 'nope', '--endpoint-url', 'http://127.0.0.1:9']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--source takes dockerhub and/or ecr, got "nope"');
    expect(await ruleExists()).toBe(false);
  });
});
