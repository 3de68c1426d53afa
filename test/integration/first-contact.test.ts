import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { describe, expect } from 'vitest';
import { it, sandboxFile } from './fixtures.js';

import {
  container,
  createCluster,
  createService,
  registerTaskDefinition,
  runCli,
  ServeProcess,
  serviceTaskDefinition,
  type CliRun,
} from './helpers.js';

// serve refuses tokens of low variety, so these tests use a real random one.
const SERVE_TOKEN = randomBytes(32).toString('base64url');

const { endpoint, sandbox, ecs } = sandboxFile();
const ACCOUNT = '123456789012';

const rollout = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> =>
  runCli(['rollout', ...args, '--poll-interval', '0.3', '--endpoint-url', endpoint], { env });

const json = (run: CliRun) => JSON.parse(run.stdout) as Record<string, unknown> & { error?: { code: string; message: string } };

/** web in prod and in staging, both on acme/web:1.0. */
async function twoClusters(): Promise<string> {
  const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
  for (const cluster of ['prod', 'staging']) {
    await createCluster(ecs, cluster);
    await createService(ecs, cluster, 'web', source);
  }
  return source;
}

describe('--service means exactly what it names', () => {
  it('cluster/service moves that one service only', async () => {
    const source = await twoClusters();
    const run = await rollout(['acme/web:1.1', '--service', 'staging/web', '--no-wait']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(source);
    expect(await serviceTaskDefinition(ecs, 'staging', 'web')).not.toBe(source);
  });

  it('a full service ARN moves that one service only', async () => {
    const source = await twoClusters();
    const described = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));
    const arn = described.services?.[0]?.serviceArn ?? '';
    expect(arn).toMatch(/:service\/prod\/web$/);
    const run = await rollout(['acme/web:1.1', '--service', arn, '--no-wait']);
    expect(run.code).toBe(0);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).not.toBe(source);
    expect(await serviceTaskDefinition(ecs, 'staging', 'web')).toBe(source);
  });

  it.each([
    { args: ['--service', 'nope/web'], message: 'cluster nope does not exist in region us-east-1' },
    { args: ['--service', 'prod/nope'], message: 'no such service in us-east-1: prod/nope' },
    {
      args: ['--cluster', 'prod', '--service', 'staging/web'],
      message: '--service staging/web names cluster staging, which --cluster leaves out (prod)',
    },
    { args: ['--cluster', 'nope'], message: 'cluster nope does not exist in region us-east-1' },
    { args: ['--service', 'arn:aws:ecs:eu-west-1:123456789012:service/prod/web'], message: 'pass --region eu-west-1' },
  ])('$args is refused with exit 2 and changes nothing', async ({ args, message }) => {
    const source = await twoClusters();
    const run = await rollout(['acme/web:1.1', ...args, '--no-wait']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(source);
    expect(await serviceTaskDefinition(ecs, 'staging', 'web')).toBe(source);
  });
});

describe('a re-run tells the truth about the deployment', () => {
  it('waits for a deployment an earlier run left unfinished: fails while it cannot finish, succeeds once it does', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await createService(ecs, 'prod', 'web', source, { desiredCount: 2 });
    // The scheduler stands still: the deployment the first run starts cannot finish.
    await sandbox.config({ paused: true });
    const first = await rollout(['acme/web:2.0', '--timeout', '1', '--no-rollback']);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('TIMED OUT');

    const again = await rollout(['acme/web:2.0', '--timeout', '1']);
    expect(again.stdout).toContain('wait     prod/web: already on 2.0, deployment still in progress: waiting');
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('did not finish within 1 s');

    const dry = await rollout(['acme/web:2.0', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const plan = json(dry) as { kind: string; version: number; services: { action: string; outcome: string }[] };
    expect(plan).toMatchObject({ kind: 'rollout-plan', version: 1 });
    expect(plan.services[0]).toMatchObject({ action: 'wait', outcome: 'planned' });

    // Let the scheduler go on only once this run is waiting (it has polled after discovery), so it
    // really follows the deployment to COMPLETED rather than finding it done.
    await sandbox.clearCalls();
    const running = rollout(['acme/web:2.0', '--timeout', '60', '--json']);
    while ((await sandbox.calls()).filter((call) => call.action === 'DescribeServices').length < 2) await sleep(100);
    await sandbox.config({ paused: false });
    const last = await running;
    expect(last.code).toBe(0);
    const result = json(last) as { ok: boolean; services: { action: string; outcome: string }[] };
    expect(result.ok).toBe(true);
    expect(result.services[0]).toMatchObject({ action: 'wait', outcome: 'completed' });

    // Now the deployment is COMPLETED: nothing to wait for.
    const settled = await rollout(['acme/web:2.0']);
    expect(settled.code).toBe(0);
    expect(settled.stdout).toContain('keep     prod/web: already on 2.0');
  });

  it('a re-run after a broken deploy without the circuit breaker fails again on its merits', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await createService(ecs, 'prod', 'web', source, { desiredCount: 1 });
    const first = await rollout(['acme/web:broken-2', '--timeout', '2', '--no-rollback']);
    expect(first.code).toBe(1);
    const again = await rollout(['acme/web:broken-2', '--timeout', '2']);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('already on broken-2, deployment still in progress: waiting');
    // It did not change the service: nothing of this run's to roll back.
    expect(again.stdout).not.toContain('Rolling back');
  });
});

describe('the header, --expect-services and the region', () => {
  it('names the account, the region and what it looked at, in text and JSON', async () => {
    await twoClusters();
    const text = await rollout(['acme/web:1.1', '--dry-run']);
    expect(text.stdout).toContain(`Looked at 2 services in 2 clusters of account ${ACCOUNT} in us-east-1`);
    const doc = json(await rollout(['acme/web:1.1', '--dry-run', '--json']));
    expect(doc['scope']).toEqual({ account: ACCOUNT, region: 'us-east-1', clusters: 2, services: 2 });
    const result = json(await rollout(['acme/web:1.1', '--no-wait', '--json']));
    expect(result).toMatchObject({ kind: 'rollout-result', version: 2, scope: { account: ACCOUNT, region: 'us-east-1', clusters: 2, services: 2 } });
  });

  it('--expect-services and --require-match fail with exit 1 before any change, and pass when met', async () => {
    const source = await twoClusters();
    const wrong = await rollout(['acme/web:1.1', '--expect-services', '3', '--no-wait']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(
      `expected 3 services running docker.io/acme/web, found 2 (prod/web, staging/web) among 2 services in 2 clusters of account ${ACCOUNT} in us-east-1; nothing was changed`,
    );
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(source);

    const mistyped = await rollout(['acme/wbe:1.1', '--require-match', '--no-wait', '--json']);
    expect(mistyped.code).toBe(1);
    expect(json(mistyped)).toMatchObject({ kind: 'error', version: 1, exitCode: 1, error: { code: 'failed' } });
    expect(json(mistyped).error?.message).toContain('found 0 among 2 services');

    const right = await rollout(['acme/web:1.1', '--expect-services', '2', '--no-wait']);
    expect(right.code).toBe(0);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).not.toBe(source);
  });

  it('reads AWS_DEFAULT_REGION when AWS_REGION is not set, as the AWS CLI does', async () => {
    await twoClusters();
    const home = await mkdtemp(join(tmpdir(), 'ecs-roll-home-'));
    const here = await rollout(['acme/web:1.1', '--dry-run'], { AWS_REGION: '', AWS_DEFAULT_REGION: 'us-east-1', HOME: home });
    expect(here.code).toBe(0);
    expect(here.stdout).toContain('in us-east-1');
    expect(here.stdout).toContain('2 services to move');
    const elsewhere = await rollout(['acme/web:1.1', '--dry-run'], { AWS_REGION: '', AWS_DEFAULT_REGION: 'eu-west-1', HOME: home });
    expect(elsewhere.stdout).toContain('Looked at 0 services in 0 clusters of account unknown in eu-west-1');
  });
});

describe('exit codes and --json errors', () => {
  it('no region is a setup error: exit 3, and with --json one error document on stdout', async () => {
    const home = await mkdtemp(join(tmpdir(), 'ecs-roll-home-'));
    const run = await rollout(['acme/web:1.1', '--json'], { AWS_REGION: undefined, HOME: home });
    expect(run.code).toBe(3);
    expect(json(run)).toMatchObject({ kind: 'error', version: 1, exitCode: 3, error: { code: 'no-region' } });
    expect(run.stderr).toContain('no AWS region');
    // A CI variable that is set but empty is the same mistake.
    const empty = await rollout(['acme/web:1.1'], { AWS_REGION: '', HOME: home });
    expect(empty.code).toBe(3);
    expect(empty.stderr).toContain('the AWS region is not usable');
  });

  it('AWS that refuses the connection is a setup error: exit 3', async () => {
    const closed = await freePort();
    const run = await runCli(['rollout', 'acme/web:1.1', '--json', '--endpoint-url', `http://127.0.0.1:${closed}`]);
    expect(run.code).toBe(3);
    expect(json(run)).toMatchObject({ kind: 'error', exitCode: 3, error: { code: 'aws-unreachable' } });
  });

  it('a port in use is a setup error for serve: exit 3', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const run = await runCli(['serve', '--port', String(port), '--endpoint-url', endpoint], {
        env: { ECS_ROLL_TOKEN: SERVE_TOKEN, ECS_ROLL_REPOS: 'acme/web' },
      });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain('already in use');
    } finally {
      server.close();
    }
  });

  it('serve stopped with SIGTERM says so, and does not speak of Ctrl-C', async () => {
    const { serve } = await ServeProcess.start({ endpoint, token: SERVE_TOKEN });
    const code = await serve.stop('SIGTERM');
    expect(code).toBe(0);
    expect(serve.stderr).toContain('stopping on SIGTERM');
    expect(serve.stderr).not.toContain('Ctrl-C');
  });

  it('scale names the region when the cluster does not exist', async () => {
    const run = await runCli(['scale', 'nope/web', '--count', '1', '--endpoint-url', endpoint]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cluster nope does not exist in region us-east-1');
  });
});

describe('scale says what it does in its own words', () => {
  it('--by -200% stops at 0 and says so; the JSON carries kind and version', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await createService(ecs, 'prod', 'web', source, { desiredCount: 2 });
    const text = await runCli(['scale', 'prod/web', '--by', '-200%', '--dry-run', '--endpoint-url', endpoint]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('desired 2 → 0 (the change asked for -2; a service cannot run fewer than 0 tasks)');
    const doc = await runCli(['scale', 'prod/web', '--count', '3', '--json', '--poll-interval', '0.3', '--endpoint-url', endpoint]);
    expect(doc.code).toBe(0);
    expect(json(doc)).toMatchObject({ kind: 'scale-result', version: 1, to: 3, outcome: 'completed' });
    const plain = await runCli(['scale', 'prod/web', '--count', '1', '--poll-interval', '0.3', '--endpoint-url', endpoint]);
    expect(plain.stdout).toContain('Waiting for the tasks');
    expect(plain.stdout).not.toMatch(/deployments|new revision/);
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
