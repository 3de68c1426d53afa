import { describe, expect } from 'vitest';
import { it, sandboxFile } from './fixtures.js';
import {
  container,
  createCluster,
  createService,
  describeTaskDefinition,
  imagesOf,
  registerTaskDefinition,
  revisionCount,
  runCli,
  serviceTaskDefinition,
} from './helpers.js';

const { endpoint, sandbox, ecs } = sandboxFile();

const rollout = (...args: string[]) => runCli(['rollout', ...args, '--endpoint-url', endpoint]);

describe('rollout against the sandbox', () => {
  it('registers a new revision that carries over every field and tag, and moves the service to it', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(
      ecs,
      'web',
      [
        container('web', 'acme/web:1.0', { environment: [{ name: 'MODE', value: 'prod' }], portMappings: [{ containerPort: 8080 }] }),
        container('proxy', 'nginx:1.25'),
      ],
      {
        pidMode: 'task',
        ipcMode: 'task',
        ephemeralStorage: { sizeInGiB: 30 },
        runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
        volumes: [{ name: 'scratch', host: { sourcePath: '/tmp' } }],
        placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t3.*' }],
        taskRoleArn: 'arn:aws:iam::123456789012:role/web-task',
        executionRoleArn: 'arn:aws:iam::123456789012:role/web-exec',
        networkMode: 'bridge',
        tags: [
          { key: 'team', value: 'payments' },
          { key: 'cost-centre', value: '42' },
        ],
      },
    );
    await createService(ecs, 'prod', 'web', source, { desiredCount: 2 });

    const run = await rollout('acme/web:1.1', '--no-wait');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const now = await serviceTaskDefinition(ecs, 'prod', 'web');
    expect(now).not.toBe(source);
    const [before, after] = await Promise.all([describeTaskDefinition(ecs, source), describeTaskDefinition(ecs, now)]);
    expect(await imagesOf(ecs, now)).toEqual({ web: 'acme/web:1.1', proxy: 'nginx:1.25' });

    const carried = (definition: typeof before.taskDefinition) => {
      const { taskDefinitionArn, revision, registeredAt, registeredBy, containerDefinitions, ...rest } = definition ?? {};
      return { ...rest, containers: containerDefinitions?.map(({ image, ...other }) => other) };
    };
    expect(carried(after.taskDefinition)).toEqual(carried(before.taskDefinition));
    expect(after.taskDefinition?.pidMode).toBe('task');
    expect(after.taskDefinition?.ephemeralStorage).toEqual({ sizeInGiB: 30 });
    expect(after.taskDefinition?.runtimePlatform?.cpuArchitecture).toBe('ARM64');
    // Every tag is carried over; ecs-roll adds the time of the rollout, which orders concurrent rollouts,
    // and the same time for each container whose image it set (with the repository), which orders later pushes.
    expect(after.tags?.filter((tag) => !tag.key?.startsWith('ecs-roll:pushed-at'))).toEqual(before.tags);
    expect(after.tags?.filter((tag) => tag.key?.startsWith('ecs-roll:pushed-at:')).map((tag) => tag.value?.split(' ')[1])).toEqual(
      expect.arrayContaining(['docker.io/acme/web']),
    );
    expect(before.tags).toHaveLength(2);
    const pushedAt = Number(after.tags?.find((tag) => tag.key === 'ecs-roll:pushed-at')?.value);
    expect(Math.abs(pushedAt - Date.now() / 1000)).toBeLessThan(60);
  });

  it('leaves alone every service whose image is only a look-alike of the target', async () => {
    await createCluster(ecs, 'prod');
    const images = {
      target: 'acme/web:1.0',
      longerName: 'acme/webhook:1.0',
      otherRegistry: '123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/web:1.0',
      localRegistry: 'localhost:5000/acme/web:1.0',
      otherNamespace: 'acme2/web:1.0',
      subPath: 'acme/web/extra:1.0',
    };
    const sources: Record<string, string> = {};
    for (const [name, image] of Object.entries(images)) {
      sources[name] = await registerTaskDefinition(ecs, name, [container('app', image)]);
      await createService(ecs, 'prod', name, sources[name] ?? '');
    }

    const run = await rollout('docker.io/acme/web:2.0', '--no-wait');
    expect(run.code).toBe(0);

    expect(await imagesOf(ecs, await serviceTaskDefinition(ecs, 'prod', 'target'))).toEqual({ app: 'acme/web:2.0' });
    for (const name of Object.keys(images).filter((key) => key !== 'target')) {
      expect(await serviceTaskDefinition(ecs, 'prod', name), name).toBe(sources[name]);
      expect(await revisionCount(ecs, name), name).toBe(1);
    }
  });

  it('treats nginx, library/nginx and docker.io/library/nginx as one repository', async () => {
    await createCluster(ecs, 'edge');
    const spellings = {
      short: 'nginx:1.25',
      library: 'library/nginx:1.25',
      full: 'docker.io/library/nginx:1.25',
      index: 'index.docker.io/library/nginx:1.25',
    };
    for (const [name, image] of Object.entries(spellings)) {
      await createService(ecs, 'edge', name, await registerTaskDefinition(ecs, name, [container('proxy', image)]));
    }
    const run = await rollout('nginx:1.27', '--no-wait');
    expect(run.code).toBe(0);
    for (const [name, image] of Object.entries(spellings)) {
      // The container keeps its own spelling of the repository; only the tag moves.
      expect(await imagesOf(ecs, await serviceTaskDefinition(ecs, 'edge', name))).toEqual({ proxy: image.replace('1.25', '1.27') });
    }
  });

  it('gives services that share a revision one new revision, across clusters, and a second run changes nothing', async () => {
    await createCluster(ecs, 'blue');
    await createCluster(ecs, 'green');
    const shared = await registerTaskDefinition(ecs, 'shared', [container('web', 'acme/web:1.0')]);
    for (const cluster of ['blue', 'green']) {
      for (const service of ['a', 'b']) await createService(ecs, cluster, service, shared);
    }

    const first = await rollout('acme/web:1.1', '--no-wait');
    expect(first.code).toBe(0);
    expect(await revisionCount(ecs, 'shared')).toBe(2);
    const targets = new Set<string>();
    for (const cluster of ['blue', 'green']) {
      for (const service of ['a', 'b']) targets.add(await serviceTaskDefinition(ecs, cluster, service));
    }
    expect([...targets]).toHaveLength(1);
    expect([...targets][0]).toMatch(/task-definition\/shared:2$/);

    const second = await rollout('acme/web:1.1', '--no-wait', '--json');
    expect(second.code).toBe(0);
    expect(await revisionCount(ecs, 'shared')).toBe(2);
    const report = JSON.parse(second.stdout) as { services: { outcome: string }[] };
    expect(report.services.map((service) => service.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged']);
  });

  it('changes nothing on a dry run, and prints the plan', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await createService(ecs, 'prod', 'web', source);
    await sandbox.clearCalls();

    const run = await rollout('acme/web:1.1', '--dry-run');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('prod/web');
    expect(run.stdout).toContain('acme/web:1.0 → acme/web:1.1');
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(source);
    expect(await revisionCount(ecs, 'web')).toBe(1);
    const mutating = (await sandbox.calls()).filter((call) => /^(Register|Update|Stop|Create|Delete|Deregister)/.test(call.action));
    expect(mutating).toEqual([]);
  });

  it('limits the rollout to --cluster and --service', async () => {
    for (const cluster of ['one', 'two']) await createCluster(ecs, cluster);
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    for (const cluster of ['one', 'two']) {
      for (const service of ['api', 'site']) await createService(ecs, cluster, service, source);
    }

    expect((await rollout('acme/web:1.1', '--no-wait', '--cluster', 'one')).code).toBe(0);
    expect(await serviceTaskDefinition(ecs, 'one', 'api')).not.toBe(source);
    expect(await serviceTaskDefinition(ecs, 'one', 'site')).not.toBe(source);
    expect(await serviceTaskDefinition(ecs, 'two', 'api')).toBe(source);

    expect((await rollout('acme/web:1.2', '--no-wait', '--service', 'site')).code).toBe(0);
    expect(await imagesOf(ecs, await serviceTaskDefinition(ecs, 'two', 'site'))).toEqual({ web: 'acme/web:1.2' });
    expect(await imagesOf(ecs, await serviceTaskDefinition(ecs, 'one', 'site'))).toEqual({ web: 'acme/web:1.2' });
    expect(await serviceTaskDefinition(ecs, 'two', 'api')).toBe(source);
    expect(await imagesOf(ecs, await serviceTaskDefinition(ecs, 'one', 'api'))).toEqual({ web: 'acme/web:1.1' });

    const missing = await rollout('acme/web:1.3', '--no-wait', '--service', 'nope');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope');
  });

  it('registers revisions for families no service runs only with --all-families', async () => {
    await createCluster(ecs, 'prod');
    await createService(ecs, 'prod', 'web', await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]));
    await registerTaskDefinition(ecs, 'nightly-job', [container('job', 'acme/web:1.0', { command: ['migrate'] })]);
    await registerTaskDefinition(ecs, 'unrelated-job', [container('job', 'acme/other:1.0')]);

    expect((await rollout('acme/web:1.1', '--no-wait')).code).toBe(0);
    expect(await revisionCount(ecs, 'nightly-job')).toBe(1);

    expect((await rollout('acme/web:1.1', '--no-wait', '--all-families')).code).toBe(0);
    expect(await revisionCount(ecs, 'nightly-job')).toBe(2);
    expect(await imagesOf(ecs, 'nightly-job')).toEqual({ job: 'acme/web:1.1' });
    expect((await describeTaskDefinition(ecs, 'nightly-job')).taskDefinition?.containerDefinitions?.[0]?.command).toEqual(['migrate']);
    expect(await revisionCount(ecs, 'unrelated-job')).toBe(1);
    expect(await revisionCount(ecs, 'web')).toBe(2);
  });

  it.each([
    ['no tag or digest', 'acme/web'],
    ['upper case in the path', 'acme/Web:1.0'],
    ['a tag that is too long', `acme/web:${'x'.repeat(129)}`],
    ['a bad digest', 'acme/web@sha256:abc'],
    ['an empty reference', ''],
    ['shell metacharacters', 'acme/web:1.0;rm'],
  ])('refuses %s with exit 2 before any AWS call', async (_, reference) => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await createService(ecs, 'prod', 'web', source);
    await sandbox.clearCalls();

    const run = await rollout(reference, '--no-wait');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/invalid image reference/);
    expect(await sandbox.calls()).toEqual([]);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(source);
  });

  it('prints one parseable JSON document with --json, and nothing else on stdout', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await createService(ecs, 'prod', 'web', source);
    await createService(ecs, 'prod', 'other', await registerTaskDefinition(ecs, 'other', [container('x', 'acme/other:1')]));

    const run = await rollout('acme/web:1.1', '--no-wait', '--json');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/\u001b\[/);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      services: { cluster: string; service: string; oldTaskDefinitionArn: string; newTaskDefinitionArn: string | null; outcome: string }[];
    };
    expect(report.ok).toBe(true);
    expect(report.services).toEqual([
      expect.objectContaining({
        cluster: 'prod',
        service: 'web',
        oldTaskDefinitionArn: source,
        newTaskDefinitionArn: await serviceTaskDefinition(ecs, 'prod', 'web'),
        outcome: 'updated',
      }),
    ]);
  });

  it('reports a cluster that does not exist as a usage error', async () => {
    const run = await rollout('acme/web:1.1', '--no-wait', '--cluster', 'ghost');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('ghost');
  });
});
