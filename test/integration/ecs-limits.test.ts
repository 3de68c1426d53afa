// What ECS refuses and moto would accept: registration conflicts of one family, settings the SDK does not model,
// the 50-tag limit, reserved aws: tags and StopTask's 255-character reason. The sandbox enforces each (ecs_limits.py).
import { DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { describe, expect } from 'vitest';
import { addContainerInstance } from '../sandbox/ec2.js';
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
import { it, sandboxFile } from './fixtures.js';

const { endpoint, sandbox, ecs } = sandboxFile();
it.override({ sandboxConfig: { tick: 0.05 } });

const rollout = (...args: string[]) => runCli(['rollout', ...args, '--endpoint-url', endpoint, '--poll-interval', '0.2']);

describe('RegisterTaskDefinition conflicts', () => {
  it('retries "Too many concurrent attempts" with jitter until the family is free, and registers once', async () => {
    await createCluster(ecs, 'prod');
    await createService(ecs, 'prod', 'web', await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]));
    // Another caller is registering this family: ECS refuses the rollout's first two attempts.
    await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:0.9')]);
    await sandbox.config({ busyFamilies: { web: 2 } });

    const run = await rollout('acme/web:1.1', '--no-wait');
    expect(run.code, run.stderr).toBe(0);
    const state = await sandbox.config({});
    expect(state.registrationConflicts).toBe(2);
    expect(await revisionCount(ecs, 'web')).toBe(3);
    expect(await imagesOf(ecs, await serviceTaskDefinition(ecs, 'prod', 'web'))).toEqual({ web: 'acme/web:1.1' });
  });

  it('two rollouts of one family at once both succeed on one new revision', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await createService(ecs, 'prod', 'web', source, { desiredCount: 1 });
    await createService(ecs, 'prod', 'web-canary', source, { desiredCount: 1 });
    await sandbox.config({ registrationConflictSeconds: 2 });

    const [first, second] = await Promise.all([rollout('acme/web:1.1', '--service', 'web'), rollout('acme/web:1.1', '--service', 'web-canary')]);
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    expect(await revisionCount(ecs, 'web')).toBe(2);
    const web = await serviceTaskDefinition(ecs, 'prod', 'web');
    expect(await serviceTaskDefinition(ecs, 'prod', 'web-canary')).toBe(web);
    expect(web).toMatch(/\/web:2$/);
  });
});

describe('task definition settings the SDK does not model', () => {
  it('refuses the family with exit 2, naming the field, and changes nothing', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await createService(ecs, 'prod', 'web', source);
    await sandbox.config({ unmodelledTaskDefinitionFields: { futureIsolationMode: 'STRICT' } });

    const run = await rollout('acme/web:1.1');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('futureIsolationMode');
    expect(run.stderr).toMatch(/upgrade ecs-roll/);
    expect(await revisionCount(ecs, 'web')).toBe(1);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(source);
  });
});

describe('tag limits', () => {
  it("keeps a task definition's 50 tags, skips its own ecs-roll:pushed-at with a warning, and never copies aws: tags", async () => {
    await createCluster(ecs, 'prod');
    const tags = Array.from({ length: 50 }, (_, index) => ({ key: `tag-${index}`, value: String(index) }));
    // AWS itself (CloudFormation) adds aws: tags, which do not count toward the 50; the sandbox accepts them only here.
    await sandbox.config({ enforceTagLimits: false });
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')], {
      tags: [...tags, { key: 'aws:cloudformation:stack-name', value: 'shop' }],
    });
    await sandbox.config({ enforceTagLimits: true });
    await createService(ecs, 'prod', 'web', source);

    const run = await rollout('acme/web:1.1', '--no-wait');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout + run.stderr).toMatch(/50 tags.*ecs-roll:pushed-at/);
    const copy = await describeTaskDefinition(ecs, await serviceTaskDefinition(ecs, 'prod', 'web'));
    expect(copy.taskDefinition?.revision).toBe(2);
    const keys = (copy.tags ?? []).map((tag) => tag.key).sort();
    expect(keys).toEqual(tags.map((tag) => tag.key).sort());
  });

  it('the sandbox refuses a 51st tag and aws: tags as ECS does', async () => {
    const many = Array.from({ length: 51 }, (_, index) => ({ key: `t${index}`, value: 'x' }));
    await expect(registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')], { tags: many })).rejects.toThrow(/50/);
    await expect(
      registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')], { tags: [{ key: 'AWS:owner', value: 'x' }] }),
    ).rejects.toThrow(/reserved/);
  });
});

describe('StopTask reason', () => {
  it('replace on a family with a very long name stops old tasks within the 255-character reason', async () => {
    const family = `web-${'x'.repeat(240)}`;
    await createCluster(ecs, 'prod');
    // One container instance (4096 CPU units, 7482 MiB) holds exactly these four tasks: only replace moves them.
    await addContainerInstance(ecs, endpoint, 'prod');
    const source = await registerTaskDefinition(ecs, family, [container('web', 'acme/web:1.0')], { cpu: '1024', memory: '1870' });
    await createService(ecs, 'prod', 'web', source, {
      desiredCount: 4,
      launchType: 'EC2',
      deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 200 },
    });
    const run = await rollout('acme/web:1.1', '--strategy', 'replace', '--timeout', '60');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const stopped = await ecs.send(new ListTasksCommand({ cluster: 'prod', desiredStatus: 'STOPPED' }));
    const described = await ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: stopped.taskArns ?? [] }));
    const ours = (described.tasks ?? []).filter((task) => task.stoppedReason?.startsWith('ecs-roll:'));
    expect(ours.length).toBeGreaterThan(0);
    for (const task of ours) expect(task.stoppedReason?.length).toBeLessThanOrEqual(255);
  });
});
