import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, beforeEach, describe, expect } from 'vitest';
import { it, sandboxFile } from './fixtures.js';
import { until } from '../eventually.js';
import { startHangingRegistry, startRegistry, type TestRegistry } from '../registry/registry.js';
import {
  container,
  createCluster,
  createService,
  describeTaskDefinition,
  imagesOf,
  REGION,
  registerTaskDefinition,
  revisionCount,
  runCli,
  serviceTaskDefinition,
} from './helpers.js';
import { callPackagedHandler, unpackPackagedHandler } from './packaged-handler.js';

const { endpoint, sandbox, ecs } = sandboxFile();
const ECR_HOST = `123456789012.dkr.ecr.${REGION}.amazonaws.com`;
let plain: TestRegistry;
let tokenRegistry: TestRegistry;

/** Verification on, docker.io answered by the plain registry on loopback (as a Docker registry mirror). */
const verifyEnv = () => ({ ECS_ROLL_VERIFY: 'true', ECS_ROLL_REGISTRY_MIRROR: `docker.io=${plain.url}` });

const rollout = (args: string[], env: NodeJS.ProcessEnv = verifyEnv()) =>
  runCli(['rollout', ...args, '--endpoint-url', endpoint, '--poll-interval', '0.2', '--timeout', '60', '--json'], { env });

async function seedService(image: string, service = 'web', desiredCount = 2): Promise<void> {
  await createCluster(ecs, 'prod');
  await createService(ecs, 'prod', service, await registerTaskDefinition(ecs, service, [container('app', image)]), { desiredCount });
}

/** The digests ECS reports for the service's running tasks (DescribeTasks containers[].imageDigest). */
async function runningDigests(service = 'web'): Promise<string[]> {
  const arns = (await ecs.send(new ListTasksCommand({ cluster: 'prod', serviceName: service }))).taskArns ?? [];
  if (arns.length === 0) return [];
  const tasks = (await ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: arns }))).tasks ?? [];
  return [
    ...new Set(tasks.filter((task) => task.lastStatus === 'RUNNING').flatMap((task) => (task.containers ?? []).map((c) => c.imageDigest ?? ''))),
  ].sort();
}

function untilRunning(service = 'web', count = 2): Promise<void> {
  return until(
    `${service} settled at ${count} running tasks`,
    async () => {
      const current = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: [service] }))).services?.[0];
      return current?.runningCount === count && current.deployments?.length === 1;
    },
    { ms: 20_000, every: 100 },
  );
}

async function deploymentIds(service = 'web'): Promise<string[]> {
  const answer = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: [service] }));
  return (answer.services?.[0]?.deployments ?? []).map((deployment) => deployment.id ?? '');
}

beforeAll(async () => {
  [plain, tokenRegistry] = await Promise.all([startRegistry(), startRegistry({ tokenAuth: true, users: { alice: 'hunter2-secret' } })]);
});

afterAll(async () => {
  await Promise.all([plain?.stop(), tokenRegistry?.stop()]);
});

beforeEach(async () => {
  await sandbox.config({ tick: 0.1, registries: { 'docker.io': plain.url } });
});

describe('a tag checked against its registry before anything changes', () => {
  it('refuses a tag docker.io does not have: exit 2, the message names it, and no ECS call is made', async () => {
    await plain.push('acme/web', '1.0');
    await seedService('acme/web:1.0');
    await sandbox.clearCalls();
    const run = await rollout(['acme/web:1.4.3']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('acme/web:1.4.3 does not exist in docker.io');
    expect((await sandbox.calls()).filter((call) => call.service === undefined)).toEqual([]);
    expect(await revisionCount(ecs, 'web')).toBe(1);
  });

  it('refuses a missing tag on the packaged worker too: logged, nothing registered', async () => {
    await plain.push('acme/web', '1.0');
    await seedService('acme/web:1.0');
    const packaged = await unpackPackagedHandler();
    try {
      const job = {
        version: 1,
        kind: 'dockerhub-push',
        image: 'acme/web:9.9.9',
        repository: 'docker.io/acme/web',
        tag: '9.9.9',
        pushedAt: 1_900_000_000,
      };
      const env = {
        ...verifyEnv(),
        AWS_ENDPOINT_URL: endpoint,
        ECS_ROLL_TOKEN_SHA256: 'a'.repeat(64),
        ECS_ROLL_REPOS: 'acme/web',
        ECS_ROLL_POLL_INTERVAL: '0.2',
      };
      const call = await callPackagedHandler<{ ok: boolean; reason?: string }>(packaged.folder, 'work', job, env);
      expect(call.result.ok).toBe(false);
      const failed = call.logs.find((line) => line.event === 'job-failed');
      expect(failed?.message).toContain('acme/web:9.9.9 does not exist in docker.io');
      expect(failed?.exitCode).toBe(2);
      expect(await revisionCount(ecs, 'web')).toBe(1);
    } finally {
      await packaged.remove();
    }
  });

  it('times out a registry that never answers with a setup error (exit 3), and --no-verify goes ahead', async () => {
    const hanging = await startHangingRegistry();
    try {
      await seedService('acme/web:1.0');
      const env = { ECS_ROLL_VERIFY: 'true', ECS_ROLL_REGISTRY_MIRROR: `docker.io=${hanging.url}`, ECS_ROLL_REGISTRY_TIMEOUT: '1' };
      const run = await rollout(['acme/web:1.1'], env);
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toContain('cannot ask docker.io whether acme/web:1.1 exists: no answer within 1 s');
      expect(await revisionCount(ecs, 'web')).toBe(1);

      const skipped = await rollout(['acme/web:1.1', '--no-verify', '--no-wait'], env);
      expect(skipped.code, skipped.stderr).toBe(0);
      expect(await revisionCount(ecs, 'web')).toBe(2);
    } finally {
      await hanging.stop();
    }
  });

  it('follows a Bearer challenge for an anonymous pull token, and sends --registry-auth without ever printing it', async () => {
    const image = `${tokenRegistry.host}/acme/api`;
    const digest = await tokenRegistry.push('acme/api', '2.0');
    await tokenRegistry.push('acme/api', '1.0');
    await seedService(`${image}:1.0`, 'api', 1);
    const before = tokenRegistry.tokenRequests.length;

    const missing = await rollout([`${image}:3.0`], { ECS_ROLL_VERIFY: 'true' });
    expect(missing.code, missing.stderr).toBe(2);
    expect(missing.stderr).toContain(`${image}:3.0 does not exist in ${tokenRegistry.host}`);
    expect(tokenRegistry.tokenRequests.slice(before)).toEqual([{ scope: 'repository:acme/api:pull', service: 'test-registry' }]);

    const run = await rollout([`${image}:2.0`, '--pin-digest', '--registry-auth', 'alice:hunter2-secret'], { ECS_ROLL_VERIFY: 'true' });
    expect(run.code, run.stderr).toBe(0);
    expect(tokenRegistry.tokenRequests.at(-1)?.user).toBe('alice');
    expect(`${run.stdout}${run.stderr}`).not.toContain('hunter2');
    expect(await imagesOf(ecs, await serviceTaskDefinition(ecs, 'prod', 'api'))).toEqual({ app: `${image}:2.0@${digest}` });
  });
});

describe('digests: pinned, compared, rolled back to exactly', () => {
  it('--pin-digest writes repo:tag@sha256, tasks run that digest, and a failed rollout returns to exactly it', async () => {
    const good = await plain.push('acme/web', '1.1');
    await plain.push('acme/web', '1.0');
    await plain.push('acme/web', 'fail-exit1-2.0');
    await seedService('acme/web:1.0', 'web', 1);

    const first = await rollout(['acme/web:1.1', '--pin-digest']);
    expect(first.code, first.stderr).toBe(0);
    const pinned = await serviceTaskDefinition(ecs, 'prod', 'web');
    expect(await imagesOf(ecs, pinned)).toEqual({ app: `acme/web:1.1@${good}` });
    expect(JSON.parse(first.stdout).target).toMatchObject({ tag: '1.1', digest: good });
    await untilRunning('web', 1);
    expect(await runningDigests()).toEqual([good]);

    // The same tag again: the registry's digest is what runs, so nothing happens.
    const again = await rollout(['acme/web:1.1', '--pin-digest']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).services[0].outcome).toBe('unchanged');

    const broken = await rollout(['acme/web:fail-exit1-2.0', '--pin-digest']);
    expect(broken.code, broken.stderr).toBe(1);
    expect(JSON.parse(broken.stdout).services[0].outcome).toBe('rolled-back');
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(pinned);
    expect(await imagesOf(ecs, await serviceTaskDefinition(ecs, 'prod', 'web'))).toEqual({ app: `acme/web:1.1@${good}` });

    const status = await runCli(['status', 'acme/web', '--json', '--endpoint-url', endpoint]);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).groups.map((group: { version: string }) => group.version)).toEqual([`1.1@${good}`]);
  });

  it('latest pushed again with a new digest redeploys; with the same digest it does not', async () => {
    const first = await plain.push('acme/web', 'latest', 'build 1');
    await seedService('acme/web:latest');
    await untilRunning();
    expect(await runningDigests()).toEqual([first]);

    const same = await rollout(['acme/web:latest']);
    expect(same.code, same.stderr).toBe(0);
    expect(JSON.parse(same.stdout).services[0].outcome).toBe('unchanged');
    expect(await deploymentIds()).toHaveLength(1);

    const second = await plain.push('acme/web', 'latest', 'build 2');
    expect(second).not.toBe(first);
    const before = await deploymentIds();
    const moved = await rollout(['acme/web:latest']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(JSON.parse(moved.stdout).services[0]).toMatchObject({ action: 'redeploy', outcome: 'completed' });
    expect(await deploymentIds()).not.toEqual(before);
    await untilRunning();
    expect(await runningDigests()).toEqual([second]);
    expect(await revisionCount(ecs, 'web')).toBe(1);
  });
});

describe('Amazon ECR through its API', () => {
  it('checks an ECR tag with BatchGetImage, pins its digest, and refuses a missing one', async () => {
    const ecr = new ECRClient({ endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'acme/app' }));
    const manifest = (layer: string) =>
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 2, digest: `sha256:${'c'.repeat(64)}` },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 2, digest: `sha256:${layer.repeat(64)}` }],
      });
    await ecr.send(new PutImageCommand({ repositoryName: 'acme/app', imageManifest: manifest('a'), imageTag: '1.0' }));
    const pushed = await ecr.send(new PutImageCommand({ repositoryName: 'acme/app', imageManifest: manifest('b'), imageTag: '1.1' }));
    const digest = pushed.image?.imageId?.imageDigest ?? '';
    await seedService(`${ECR_HOST}/acme/app:1.0`, 'app', 1);

    const missing = await rollout([`${ECR_HOST}/acme/app:7.0`], { ECS_ROLL_VERIFY: 'true' });
    expect(missing.code, missing.stderr).toBe(2);
    expect(missing.stderr).toContain(`${ECR_HOST}/acme/app:7.0 does not exist in ${ECR_HOST}`);
    expect(await revisionCount(ecs, 'app')).toBe(1);

    const run = await rollout([`${ECR_HOST}/acme/app:1.1`, '--pin-digest'], { ECS_ROLL_VERIFY: 'true' });
    expect(run.code, run.stderr).toBe(0);
    const current = await serviceTaskDefinition(ecs, 'prod', 'app');
    expect(await imagesOf(ecs, current)).toEqual({ app: `${ECR_HOST}/acme/app:1.1@${digest}` });
    expect((await describeTaskDefinition(ecs, current)).taskDefinition?.containerDefinitions?.[0]?.image).toMatch(/@sha256:[0-9a-f]{64}$/);
    await untilRunning('app', 1);
    expect(await runningDigests('app')).toEqual([digest]);
  });
});
