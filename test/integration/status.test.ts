// `ecs-roll status`: where each version of an image runs, before, during and after a rollout,
// across two clusters and three tags, read by the built CLI from the sandbox.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect } from 'vitest';
import { it, sandboxFile } from './fixtures.js';
import { container, createCluster, createService, registerTaskDefinition, runCli, TEST_ENV } from './helpers.js';

const { endpoint, sandbox, ecs } = sandboxFile();

interface StatusDocument {
  kind: string;
  version: number;
  repository: string;
  otherServices: number;
  groups: {
    version: string;
    services: { cluster: string; service: string; revision: string; running: number; desired: number; deployment: string; pushedAt?: string }[];
  }[];
}

const status = async (args: string[]) => runCli(['status', ...args, '--endpoint-url', endpoint]);

async function statusJson(): Promise<StatusDocument> {
  const run = await status(['acme/web', '--json']);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as StatusDocument;
}

const where = (document: StatusDocument) =>
  Object.fromEntries(document.groups.map((group) => [group.version, group.services.map((service) => `${service.cluster}/${service.service}`)]));

beforeEach(async () => {
  const layout: [string, string, string][] = [
    ['east', 'web-a', 'acme/web:1.0'],
    ['east', 'web-b', 'acme/web:1.1'],
    ['east', 'other', 'acme/other:1.0'],
    ['west', 'web-c', 'acme/web:1.0'],
    ['west', 'web-d', 'docker.io/acme/web:2.0-rc'],
  ];
  for (const cluster of ['east', 'west']) await createCluster(ecs, cluster);
  for (const [cluster, service, image] of layout) {
    const taskDefinition = await registerTaskDefinition(ecs, service, [container('app', image)]);
    await createService(ecs, cluster, service, taskDefinition, { desiredCount: 1, launchType: 'FARGATE' });
  }
  await new Promise((resolve) => setTimeout(resolve, 800));
});

describe('ecs-roll status', () => {
  it('groups services by version before, during and after a rollout', async () => {
    const before = await statusJson();
    expect(before).toMatchObject({ kind: 'status', version: 1, repository: 'docker.io/acme/web', otherServices: 1 });
    expect(where(before)).toEqual({ '1.0': ['east/web-a', 'west/web-c'], '1.1': ['east/web-b'], '2.0-rc': ['west/web-d'] });
    expect(before.groups[0]?.services[0]).toMatchObject({ revision: 'web-a:1', running: 1, desired: 1, deployment: 'COMPLETED' });

    const text = await status(['acme/web']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/docker\.io\/acme\/web: 4 services on 3 versions/);
    expect(text.stdout).toMatch(/^ {2}east\/web-a +web-a:1 +1\/1 +COMPLETED +-$/m);

    // During: the scheduler is held, so the new deployments stay IN_PROGRESS.
    await sandbox.config({ paused: true });
    const started = await runCli(['rollout', 'acme/web:1.2', '--cluster', 'east', '--no-wait', '--endpoint-url', endpoint]);
    expect(started.code, started.stderr).toBe(0);
    const during = await statusJson();
    expect(where(during)).toEqual({ '1.0': ['west/web-c'], '1.2': ['east/web-a', 'east/web-b'], '2.0-rc': ['west/web-d'] });
    const moving = during.groups.find((group) => group.version === '1.2')?.services ?? [];
    expect(moving.map((service) => service.deployment)).toEqual(['IN_PROGRESS', 'IN_PROGRESS']);
    expect(moving[0]?.pushedAt).toMatch(/^\d{4}-\d\d-\d\dT/);

    await sandbox.config({ paused: false });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = await statusJson();
    expect(
      after.groups.find((group) => group.version === '1.2')?.services.map((service) => [service.revision, service.deployment, service.running]),
    ).toEqual([
      ['web-a:2', 'COMPLETED', 1],
      ['web-b:2', 'COMPLETED', 1],
    ]);
  });

  it('only the given clusters, and exit 0 when nothing runs the image', async () => {
    expect(where(JSON.parse((await status(['acme/web', '--cluster', 'west', '--json'])).stdout) as StatusDocument)).toEqual({
      '1.0': ['west/web-c'],
      '2.0-rc': ['west/web-d'],
    });
    const none = await status(['acme/nothing']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('Nothing runs docker.io/acme/nothing (5 services looked at).\n');
  });

  it('--watch --json prints one document per refresh until Ctrl-C, then exits 130', async () => {
    const cli = fileURLToPath(new URL('../../bin/ecs-roll', import.meta.url));
    const child = spawn(process.execPath, [cli, 'status', 'acme/web', '--watch', '--json', '--poll-interval', '0.3', '--endpoint-url', endpoint], {
      env: { PATH: process.env.PATH, ...TEST_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        stdout += text;
        if (stdout.split('\n').filter((line) => line !== '').length >= 3) resolve();
      });
    });
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const documents = stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as StatusDocument);
    expect(documents.length).toBeGreaterThanOrEqual(3);
    for (const document of documents) expect(where(document)['1.0']).toEqual(['east/web-a', 'west/web-c']);
  });
});
