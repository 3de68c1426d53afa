import { randomBytes } from 'node:crypto';
import { DescribeServicesCommand, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { it, sandboxFile } from './fixtures.js';
import { until } from '../eventually.js';
import { container, createCluster, createService, describeTaskDefinition, registerTaskDefinition, runCli, ServeProcess } from './helpers.js';

const { endpoint, sandbox, ecs } = sandboxFile();
it.override({ sandboxConfig: { tick: 0.05 } });
const TOKEN = randomBytes(32).toString('base64url');
const T = 1_767_225_600;
/** The waits on the sandbox here are short: a look every 50 ms, 20 s at the most. */
const QUICKLY = { ms: 20_000, every: 50 };

/** Where acme/web runs: five services over two clusters, three task definition families, one of them with a sidecar. */
const SERVICES = [
  ['prod', 'web'],
  ['prod', 'api'],
  ['prod', 'worker'],
  ['staging', 'web'],
  ['staging', 'api'],
] as const;
const FAMILIES = ['web', 'api', 'worker'];

async function seed(): Promise<void> {
  await createCluster(ecs, 'prod');
  await createCluster(ecs, 'staging');
  const web = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
  const api = await registerTaskDefinition(ecs, 'api', [container('app', 'acme/web:1.0'), container('proxy', 'envoyproxy/envoy:v1.30.0')]);
  const worker = await registerTaskDefinition(ecs, 'worker', [container('worker', 'acme/web:1.0')]);
  const byFamily: Record<string, string> = { web, api, worker };
  for (const [cluster, service] of SERVICES) await createService(ecs, cluster, service, byFamily[service] ?? '', { desiredCount: 2 });
  await createService(ecs, 'prod', 'other', await registerTaskDefinition(ecs, 'other', [container('app', 'acme/other:1.0')]));
}

/** The acme/web tag each service runs, with the sidecar and the other service checked to be untouched. */
async function tagsByService(): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  for (const cluster of ['prod', 'staging']) {
    const names = SERVICES.filter(([c]) => c === cluster).map(([, s]) => s);
    const answer = await ecs.send(new DescribeServicesCommand({ cluster, services: names }));
    for (const service of answer.services ?? []) {
      const definition = (await describeTaskDefinition(ecs, service.taskDefinition ?? '')).taskDefinition;
      const images = (definition?.containerDefinitions ?? []).map((c) => c.image ?? '');
      const web = images.filter((image) => image.startsWith('acme/web:'));
      expect(new Set(web).size, `${cluster}/${service.serviceName} runs one acme/web tag`).toBe(1);
      if (service.serviceName === 'api') expect(images).toContain('envoyproxy/envoy:v1.30.0');
      tags[`${cluster}/${service.serviceName}`] = (web[0] ?? '').slice('acme/web:'.length);
    }
  }
  const other = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['other'] }));
  expect(other.services?.[0]?.taskDefinition).toMatch(/\/other:1$/);
  return tags;
}

async function revisions(family: string): Promise<string[]> {
  const answer = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family }));
  return (answer.taskDefinitionArns ?? []).filter((arn) => arn.split('/').pop()?.split(':')[0] === family);
}

const allOn = (tag: string) => Object.fromEntries(SERVICES.map(([cluster, service]) => [`${cluster}/${service}`, tag]));

function dockerHubPush(tag: string, pushedAt: number) {
  return {
    callback_url: 'http://127.0.0.1:9/must-never-be-called',
    push_data: { pushed_at: pushedAt, pusher: 'ci', tag },
    repository: { repo_name: 'acme/web', namespace: 'acme', name: 'web', status: 'Active' },
  };
}

describe('webhooks through ecs-roll serve', () => {
  let serve: ServeProcess;
  let base: string;

  beforeAll(async () => {
    ({ serve, base } = await ServeProcess.start({ endpoint, token: TOKEN, extraArgs: ['--poll-interval', '0.2'] }));
  });

  const post = (tag: string, pushedAt: number): Promise<number> =>
    fetch(`${base}/hooks/dockerhub/${TOKEN}`, { method: 'POST', body: JSON.stringify(dockerHubPush(tag, pushedAt)) }).then(async (response) => {
      await response.arrayBuffer();
      return response.status;
    });

  afterAll(async () => {
    expect(await serve.stop()).toBe(0);
    expect(serve.raw).not.toContain(TOKEN);
  });

  it('two tags pushed at the same moment end with the later push on every service, whichever is sent first', async () => {
    for (const order of [
      ['1.2', '1.3'],
      ['1.3', '1.2'],
      ['1.2', '1.3'],
      ['1.3', '1.2'],
    ] as const) {
      await sandbox.reset();
      await sandbox.config({ tick: 0.05 });
      await seed();
      const from = serve.lines.length;
      const pushedAt: Record<string, number> = { '1.2': T, '1.3': T + 10 };
      const statuses = await Promise.all(order.map((tag) => post(tag, pushedAt[tag] ?? 0)));
      expect(statuses).toEqual([202, 202]);
      const finished = await serve.waitForCount(['job-finished'], 2, from);
      expect(
        finished.map((line) => line.ok),
        `order ${order.join(' then ')}`,
      ).toEqual([true, true]);
      expect(await tagsByService(), `order ${order.join(' then ')}`).toEqual(allOn('1.3'));
      // Whichever arrived first ran first (serve runs one job at a time, in arrival order):
      // 1.2 first means 1.2 then 1.3 registered; 1.3 first means the late 1.2 registered nothing.
      const ran = finished.map((line) => line.job);
      for (const family of FAMILIES)
        expect((await revisions(family)).length, `${family} after ${ran.join(', ')}`).toBe(ran[0] === 'acme/web:1.2' ? 3 : 2);
    }
  });

  it('pushes delivered out of order and twice end on the later push, and the stale and duplicate ones change nothing', async () => {
    await seed();
    await sandbox.clearCalls();
    const from = serve.lines.length;
    for (const [tag, pushedAt] of [
      ['1.3', T + 10],
      ['1.2', T],
      ['1.3', T + 10],
      ['1.2', T],
    ] as const)
      expect(await post(tag, pushedAt)).toBe(202);
    // Four deliveries: each one ran as a job, was dropped as a duplicate of a waiting one, or was superseded by a waiting later push.
    const outcomes = await serve.waitForCount(['job-finished', 'duplicate-job', 'job-superseded'], 4, from);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(serve.lines.slice(from).filter((line) => line.event === 'job-failed')).toEqual([]);
    expect(outcomes.filter((line) => line.event === 'job-finished').every((line) => line.ok === true)).toBe(true);

    expect(await tagsByService()).toEqual(allOn('1.3'));
    for (const family of FAMILIES) {
      const arns = await revisions(family);
      expect(arns.length, family).toBe(2);
      const latest = await describeTaskDefinition(ecs, arns.at(-1) ?? '');
      expect(latest.tags).toEqual(expect.arrayContaining([{ key: 'ecs-roll:pushed-at', value: String(T + 10) }]));
    }
    const calls = await sandbox.calls();
    expect(calls.filter((call) => call.action === 'RegisterTaskDefinition').length).toBe(FAMILIES.length);
    // One UpdateService per service, from the first job; the stale and duplicate ones did not touch a service.
    expect(calls.filter((call) => call.action === 'UpdateService').length).toBe(SERVICES.length);
  });
});

describe('a scale during a rollout', () => {
  it('keeps both the new revision and the new count', async () => {
    await sandbox.config({ tick: 0.1 });
    await createCluster(ecs, 'prod');
    await createService(ecs, 'prod', 'web', await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]), { desiredCount: 2 });
    await until('web runs 2 tasks', async () => (await service('prod', 'web'))?.runningCount === 2, QUICKLY);

    // The scheduler stands still: the rollout updates the service and then waits.
    await sandbox.config({ paused: true });
    await sandbox.clearCalls();
    const rollout = runCli(['rollout', 'acme/web:1.1', '--endpoint-url', endpoint, '--poll-interval', '0.2', '--timeout', '60', '--json'], {
      timeoutMs: 60_000,
    });
    await until('the rollout called UpdateService', async () => (await sandbox.calls()).some((call) => call.action === 'UpdateService'), QUICKLY);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const waiting = await service('prod', 'web');
    expect(waiting?.taskDefinition).toMatch(/\/web:2$/);
    expect(waiting?.deployments?.find((d) => d.status === 'PRIMARY')?.rolloutState).toBe('IN_PROGRESS');

    const scaled = await runCli(['scale', 'prod/web', '--count', '5', '--no-wait', '--endpoint-url', endpoint]);
    expect(scaled.stderr).toBe('');
    expect(scaled.code).toBe(0);
    const afterScale = await service('prod', 'web');
    expect(afterScale?.desiredCount).toBe(5);
    expect(afterScale?.taskDefinition).toMatch(/\/web:2$/);

    // Let the scheduler move again, a step at a time at first, then on its own.
    for (let step = 0; step < 5; step++) await sandbox.tick();
    await sandbox.config({ paused: false });
    const done = await rollout;
    expect(done.code, done.stderr).toBe(0);

    await until('web runs 5 tasks', async () => (await service('prod', 'web'))?.runningCount === 5, QUICKLY);
    const end = await service('prod', 'web');
    expect(end?.taskDefinition).toMatch(/\/web:2$/);
    expect(end?.desiredCount).toBe(5);
    expect(end?.deployments?.map((d) => [d.status, d.taskDefinition?.split('/').pop(), d.desiredCount, d.runningCount])).toEqual([
      ['PRIMARY', 'web:2', 5, 5],
    ]);
    const calls = (await sandbox.calls()).filter((call) => call.action === 'UpdateService');
    expect(calls.length, 'one UpdateService from the rollout, one from the scale, none undoing either').toBe(2);
  });
});

describe('two CLI rollouts started at the same moment', () => {
  // Each run records when it started on the revisions it registers (ecs-roll:pushed-at). An older run
  // that overwrites a later one's service gives it back; a later run that finds an older one's revision
  // puts its own back. So the later start wins everywhere, whatever the interleaving.
  it.each([1, 2, 3, 4])("round %i: every service ends on the later run's tag, never a mix", async (round) => {
    await sandbox.config({ tick: 0.05 });
    await seed();
    const order = round % 2 === 0 ? ['1.2', '1.3'] : ['1.3', '1.2'];
    const runs = await Promise.all(
      order.map((tag) =>
        runCli(['rollout', `acme/web:${tag}`, '--json', '--endpoint-url', endpoint, '--poll-interval', '0.2', '--timeout', '30'], {
          timeoutMs: 60_000,
        }),
      ),
    );
    const tags = await tagsByService();
    const ended = [...new Set(Object.values(tags))];
    expect(ended, JSON.stringify(tags) + runs.map((run) => run?.stdout + run?.stderr).join('\n----\n')).toHaveLength(1);
    const winner = ended[0] ?? '';
    expect(['1.2', '1.3'], runs.map((run) => run?.stdout + run?.stderr).join('\n----\n')).toContain(winner);

    // The winner is the run that started later: its revisions carry the larger start time.
    const startOf = async (tag: string) => {
      const times: number[] = [];
      for (const arn of await revisions('web')) {
        const described = await describeTaskDefinition(ecs, arn);
        if (described.taskDefinition?.containerDefinitions?.[0]?.image === `acme/web:${tag}`) {
          times.push(Number(described.tags?.find((tag) => tag.key === 'ecs-roll:pushed-at')?.value));
        }
      }
      return Math.max(...times);
    };
    const loser = winner === '1.2' ? '1.3' : '1.2';
    expect(await startOf(winner)).toBeGreaterThan(await startOf(loser));

    const byTag = Object.fromEntries(order.map((tag, index) => [tag, runs[index]]));
    expect(byTag[winner]?.code, byTag[winner]?.stdout).toBe(0);
    const lost = byTag[loser];
    expect([0, 1]).toContain(lost?.code);
    if (lost?.code === 1) {
      const outcomes = (JSON.parse(lost.stdout) as { services: { outcome: string }[] }).services.map((service) => service.outcome);
      expect(
        outcomes.every((outcome) => outcome === 'superseded' || outcome === 'completed'),
        outcomes.join(),
      ).toBe(true);
    }
  });
});

async function service(cluster: string, name: string) {
  return (await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }))).services?.[0];
}
