// An ECR push as a trigger, end to end through the sandbox: PutImage puts ECR's "ECR Image Action"
// on the default bus (test/sandbox/ecr_events.py), an EventBridge rule delivers it to the worker
// that `install` created, and the worker checks the tag in ECR (with its role's ecr:BatchGetImage)
// and rolls the services, pinned to the pushed digest.
// `install --source ecr` does not create the rule yet, so this test puts the rule, its target and
// the permission itself, exactly as that option is to create them.
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { AddPermissionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { sandboxControl } from '../sandbox/client.js';
import { container, createCluster, createService, ecsClient, imagesOf, REGION, registerTaskDefinition, revisionCount, runCli } from './helpers.js';

const endpoint = inject('sandboxEndpoint');
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

async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}; worker log:\n${await workerLog()}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** The rule `install --source ecr` is to create: successful pushes of the allow-listed repositories, to the worker. */
async function ruleToWorker(repositories: string[]): Promise<void> {
  const events = new EventBridgeClient(config);
  const rule = await events.send(
    new PutRuleCommand({
      Name: 'ecs-roll-ecr-push',
      EventPattern: JSON.stringify({
        source: ['aws.ecr'],
        'detail-type': ['ECR Image Action'],
        detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': repositories },
      }),
    }),
  );
  const worker = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:ecs-roll-worker`;
  await events.send(new PutTargetsCommand({ Rule: 'ecs-roll-ecr-push', Targets: [{ Id: 'worker', Arn: worker }] }));
  await new LambdaClient(config).send(
    new AddPermissionCommand({
      FunctionName: 'ecs-roll-worker',
      StatementId: 'ecs-roll-eventbridge-invoke',
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      SourceArn: rule.RuleArn,
    }),
  );
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

    const installed = await runCli(['install', '--repo', `${HOST}/acme/app`, '--cluster', 'prod', '--pin-digest', '--endpoint-url', endpoint], {
      env: { ECS_ROLL_VERIFY: 'true' },
    });
    expect(installed.code, installed.stderr).toBe(0);
    await ruleToWorker(['acme/app', 'acme/other']);

    // Outside the allow-list: the worker refuses it (logged), nothing moves.
    await ecr.send(new PutImageCommand({ repositoryName: 'acme/other', imageManifest: manifest('d'), imageTag: '2.0' }));
    await eventually('the refusal in the worker log', async () => ((await workerLog()).includes('ecr-push-refused') ? true : undefined));
    expect(await revisionCount(ecs, 'other')).toBe(1);

    const pushed = await ecr.send(new PutImageCommand({ repositoryName: 'acme/app', imageManifest: manifest('b'), imageTag: '1.1' }));
    const digest = pushed.image?.imageId?.imageDigest ?? '';
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const wanted = `${HOST}/acme/app:1.1@${digest}`;
    await eventually('the service on the pushed digest', async () => {
      const answer = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['app'] }));
      const images = await imagesOf(ecs, answer.services?.[0]?.taskDefinition ?? '');
      return images.app === wanted ? true : undefined;
    });
    expect(await imagesOf(ecs, (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['other'] }))).services?.[0]?.taskDefinition ?? '')).toEqual({
      other: `${HOST}/acme/other:1.0`,
    });
  });
});
