// Push ordering through serve, the packaged Lambda handler and the CLI: a push time from the future
// is refused and cannot freeze a service, pushes are ordered per container and repository, pushes in
// the same second are decided by the documented tie rule, and the CLI is never held back by a recorded time.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect } from 'vitest';
import { it, sandboxFile } from './fixtures.js';
import { hashToken } from '../../src/webhook/config.js';
import { container, createCluster, createService, imagesOf, registerTaskDefinition, runCli, serviceTaskDefinition } from './helpers.js';
import { callPackagedHandler, pushJob, usePackagedHandler } from './packaged-handler.js';
import { ServeProcess } from '../cli.js';

const { endpoint, ecs } = sandboxFile();
it.override({ sandboxConfig: { tick: 0.1 } });
const TOKEN = randomBytes(32).toString('base64url');
const NOW = Math.floor(Date.now() / 1000);
/** A push time recorded by an earlier version from a push in 2096, which froze services for good. */
const FROZEN = 4_000_000_000;

function dockerHubPush(tag: string, pushedAt: number, repo = 'acme/web') {
  const [namespace, name] = repo.split('/');
  return { push_data: { pushed_at: pushedAt, pusher: 'ci', tag }, repository: { repo_name: repo, namespace, name } };
}

/** `web` runs acme/web:1.0 beside its sidecar acme/proxy:1.0. */
async function seed(tags: { key: string; value: string }[] = [], images: { web?: string; proxy?: string } = {}) {
  await createCluster(ecs, 'prod');
  const source = await registerTaskDefinition(
    ecs,
    'web',
    [container('web', images.web ?? 'acme/web:1.0'), container('proxy', images.proxy ?? 'acme/proxy:1.0')],
    tags.length === 0 ? {} : { tags },
  );
  await createService(ecs, 'prod', 'web', source, { desiredCount: 1 });
  return source;
}

async function images() {
  return imagesOf(ecs, await serviceTaskDefinition(ecs, 'prod', 'web'));
}

describe('serve', () => {
  let serve: ServeProcess;
  let base: string;
  beforeEach(async () => {
    ({ serve, base } = await ServeProcess.start({ endpoint, token: TOKEN, repos: 'acme/web,acme/proxy' }));
  });
  afterEach(async () => {
    expect(await serve.stop()).toBe(0);
  });

  const post = (body: unknown) => fetch(`${base}/hooks/dockerhub/${TOKEN}`, { method: 'POST', body: JSON.stringify(body) });
  const finished = (image: string, nth = 1) =>
    serve.waitFor(
      (line) =>
        line.event === 'job-finished' &&
        serve.lines.filter((other) => other.event === 'job-finished' && other.job === image).length >= nth &&
        line.job === image,
    );

  it('refuses a push from the future with 400, and a service frozen by one before moves on the next real push', async () => {
    await seed([{ key: 'ecs-roll:pushed-at', value: String(FROZEN) }]);
    const future = await post(dockerHubPush('9.9', NOW + 3600));
    expect(future.status).toBe(400);
    expect(((await future.json()) as { error: string }).error).toMatch(/ahead of this receiver's clock/);

    expect((await post(dockerHubPush('1.1', NOW - 10))).status).toBe(202);
    const done = await finished('acme/web:1.1');
    expect(done.services).toEqual([{ cluster: 'prod', service: 'web', outcome: 'completed' }]);
    expect(await images()).toEqual({ web: 'acme/web:1.1', proxy: 'acme/proxy:1.0' });
  });

  it('orders pushes per repository: a sidecar push older than the app push still applies', async () => {
    await seed();
    expect((await post(dockerHubPush('2.0', NOW - 10))).status).toBe(202);
    await finished('acme/web:2.0');
    // The sidecar was pushed earlier than the app but its webhook arrives later.
    expect((await post(dockerHubPush('1.1', NOW - 20, 'acme/proxy'))).status).toBe(202);
    const done = await finished('acme/proxy:1.1');
    expect(done.services).toEqual([{ cluster: 'prod', service: 'web', outcome: 'completed' }]);
    expect(await images()).toEqual({ web: 'acme/web:2.0', proxy: 'acme/proxy:1.1' });

    // An older push of the same repository is still skipped, visibly.
    expect((await post(dockerHubPush('1.9', NOW - 30))).status).toBe(202);
    const stale = await finished('acme/web:1.9');
    expect(stale.services).toEqual([
      { cluster: 'prod', service: 'web', outcome: 'older-push', reason: expect.stringContaining('older than the push') },
    ]);
    expect(await images()).toEqual({ web: 'acme/web:2.0', proxy: 'acme/proxy:1.1' });
  });

  it('decides pushes in the same second by version: the newer build wins whichever arrives last', async () => {
    await seed();
    const second = NOW - 5;
    expect((await post(dockerHubPush('1.3.0', second))).status).toBe(202);
    await finished('acme/web:1.3.0');
    expect((await post(dockerHubPush('1.4.0', second))).status).toBe(202);
    await finished('acme/web:1.4.0');
    expect((await images()).web).toBe('acme/web:1.4.0');
    expect((await post(dockerHubPush('1.3.1', second))).status).toBe(202);
    const lower = await finished('acme/web:1.3.1');
    expect(lower.services).toEqual([{ cluster: 'prod', service: 'web', outcome: 'older-push', reason: expect.stringContaining('same time') }]);
    expect((await images()).web).toBe('acme/web:1.4.0');
  });
});

describe('the packaged Lambda handler', () => {
  const packaged = usePackagedHandler();

  const env = (policy = 'any') => ({
    ECS_ROLL_TOKEN_SHA256: hashToken(TOKEN),
    ECS_ROLL_REPOS: 'acme/web,acme/proxy',
    ECS_ROLL_POLICY: policy,
    ECS_ROLL_WORKER_FUNCTION: 'ecs-roll-worker',
    ECS_ROLL_POLL_INTERVAL: '0.3',
    ECS_ROLL_TIMEOUT: '30',
    AWS_ENDPOINT_URL_ECS: endpoint,
  });
  const job = (repo: string, tag: string, pushedAt: number) => pushJob(`${repo}:${tag}`, pushedAt);
  const work = (event: unknown, policy?: string) => callPackagedHandler<{ ok: boolean }>(packaged.folder, 'work', event, env(policy));

  it('refuses a push from the future with 400 before any hand-off', async () => {
    const received = await callPackagedHandler<{ statusCode: number; body: string }>(
      packaged.folder,
      'receive',
      {
        httpMethod: 'POST',
        path: `/hooks/dockerhub/${TOKEN}`,
        body: JSON.stringify(dockerHubPush('9.9', NOW + 3600)),
        requestContext: { identity: { sourceIp: '203.0.113.5' } },
      },
      env(),
    );
    expect(received.result.statusCode).toBe(400);
    expect(received.result.body).toMatch(/ahead of this receiver's clock/);
  });

  it('moves a frozen service, orders per repository and breaks same-second ties by version', async () => {
    await seed([{ key: 'ecs-roll:pushed-at', value: String(FROZEN) }]);
    expect((await work(job('acme/web', '2.0.0', NOW - 10))).result).toEqual({ ok: true });
    expect((await work(job('acme/proxy', '1.1', NOW - 20))).result).toEqual({ ok: true });
    expect(await images()).toEqual({ web: 'acme/web:2.0.0', proxy: 'acme/proxy:1.1' });

    const tie = await work(job('acme/web', '2.0.1', NOW - 10));
    expect(tie.result).toEqual({ ok: true });
    expect((await images()).web).toBe('acme/web:2.0.1');
    const lowerTie = await work(job('acme/web', '1.9.0', NOW - 10));
    expect(lowerTie.logs.find((line) => line.event === 'job-finished')?.services).toEqual([
      { cluster: 'prod', service: 'web', outcome: 'older-push', reason: expect.stringContaining('same time') },
    ]);
    expect((await images()).web).toBe('acme/web:2.0.1');
  });

  it('under --policy semver says in the plan and the log that a service on a non-version tag is not moved', async () => {
    await seed([], { web: 'acme/web:latest' });
    const run = await work(job('acme/web', '1.5.0', NOW - 10), 'semver');
    const plan = run.logs.find((line) => line.event === 'plan') as { services: { action: string; skipKind: string; reason: string }[] };
    expect(plan.services[0]).toMatchObject({
      action: 'skip',
      skipKind: 'policy',
      reason: expect.stringContaining('latest is not a semantic version'),
    });
    expect(run.logs.find((line) => line.event === 'job-finished')?.services).toEqual([
      { cluster: 'prod', service: 'web', outcome: 'skipped', reason: expect.stringContaining('put the service on a version once') },
    ]);
    expect((await images()).web).toBe('acme/web:latest');
  });
});

describe('the CLI', () => {
  it('is never held back by a recorded push time, however far in the future, with or without --force', async () => {
    await seed([
      { key: 'ecs-roll:pushed-at', value: String(FROZEN) },
      { key: 'ecs-roll:pushed-at:web', value: `${FROZEN} docker.io/acme/web` },
    ]);
    const run = await runCli(['rollout', 'acme/web:1.1', '--endpoint-url', endpoint, '--poll-interval', '0.2', '--timeout', '60']);
    expect(run.code, run.stderr).toBe(0);
    expect(await images()).toEqual({ web: 'acme/web:1.1', proxy: 'acme/proxy:1.0' });

    const forced = await runCli([
      'rollout',
      'acme/web:1.1',
      '--force',
      '--json',
      '--endpoint-url',
      endpoint,
      '--poll-interval',
      '0.2',
      '--timeout',
      '60',
    ]);
    expect(forced.code, forced.stderr).toBe(0);
    const result = JSON.parse(forced.stdout) as { kind: string; services: { action: string; outcome: string }[] };
    expect(result.kind).toBe('rollout-result');
    expect(result.services.map((service) => [service.action, service.outcome])).toEqual([['redeploy', 'completed']]);
  });
});
