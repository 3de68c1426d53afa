import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { sandboxControl } from '../sandbox/client.js';
import { container, createCluster, createService, ecsClient, REGION, registerTaskDefinition, runCli } from './helpers.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
let ecs: ECSClient;
let autoscaling: ApplicationAutoScalingClient;

const scale = (...args: string[]) => runCli(['scale', ...args, '--endpoint-url', endpoint, '--poll-interval', '0.3', '--timeout', '30']);

async function counts(cluster: string, service: string) {
  const answer = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
  const found = answer.services?.[0];
  return { desired: found?.desiredCount, running: found?.runningCount, taskDefinition: found?.taskDefinition };
}

beforeAll(() => {
  ecs = ecsClient(endpoint);
  autoscaling = new ApplicationAutoScalingClient({ endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
});

beforeEach(async () => {
  await sandbox.reset();
  await sandbox.config({ tick: 0.1 });
  await createCluster(ecs, 'prod');
  await createService(ecs, 'prod', 'web', await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]), { desiredCount: 4 });
});

describe('ecs-roll scale', () => {
  it.each([
    [['--count', '6'], 6],
    [['--by', '+2'], 6],
    [['--by', '-1'], 3],
    [['--by', '+50%'], 6],
    [['--by', '+10%'], 5], // +0.4 tasks becomes one task
    [['--by', '-10%'], 3], // -0.4 tasks becomes one task
    [['--by', '-100%'], 0],
    [['--by', '+5', '--max', '7'], 7],
    [['--by', '-3', '--min', '2'], 2],
    [['--count', '0'], 0],
  ])('%j sets desired %i from 4 and waits for the tasks', async (args, expected) => {
    const run = await scale('prod/web', ...args);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const after = await counts('prod', 'web');
    expect(after.desired).toBe(expected);
    expect(after.running).toBe(expected);
  });

  it('keeps the task definition pinned', async () => {
    const before = await counts('prod', 'web');
    expect((await scale('web', '--by', '+1')).code).toBe(0);
    expect((await counts('prod', 'web')).taskDefinition).toBe(before.taskDefinition);
  });

  it('returns at once with --no-wait and prints JSON with --json', async () => {
    for (let tries = 0; (await counts('prod', 'web')).running !== 4 && tries < 100; tries += 1) await new Promise((r) => setTimeout(r, 100));
    await sandbox.config({ paused: true });
    const run = await scale('prod/web', '--count', '8', '--no-wait', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ kind: 'scale-result', cluster: 'prod', service: 'web', from: 4, to: 8, outcome: 'updated' });
    const after = await counts('prod', 'web');
    expect(after.desired).toBe(8);
    expect(after.running).toBe(4);
  });

  it('changes nothing on a dry run', async () => {
    const run = await scale('prod/web', '--count', '9', '--dry-run');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('4 → 9');
    expect((await counts('prod', 'web')).desired).toBe(4);
  });

  it.each([
    [['prod/web'], /exactly one of --count/],
    [['prod/web', '--count', '2', '--by', '+1'], /exactly one of --count/],
    [['prod/web', '--count', '2.5'], /whole number/],
    [['prod/web', '--count', '-1'], /whole number/],
    [['prod/web', '--by', '2'], /--by must be/],
    [['prod/web', '--by', '+1', '--min', '5', '--max', '3'], /above --max/],
    [['prod/nope', '--count', '2'], /no service named nope/],
    [['a/b/c', '--count', '2'], /cluster>\/<service>/],
  ])('refuses %j with exit 2', async (args, message) => {
    const run = await scale(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect((await counts('prod', 'web')).desired).toBe(4);
  });

  it('refuses a service name that several clusters hold, naming them', async () => {
    await createCluster(ecs, 'staging');
    await createService(ecs, 'staging', 'web', await registerTaskDefinition(ecs, 'web-s', [container('web', 'acme/web:1.0')]));
    const run = await scale('web', '--count', '2');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('prod');
    expect(run.stderr).toContain('staging');
  });

  it('refuses a DAEMON service', async () => {
    await createService(ecs, 'prod', 'agent', await registerTaskDefinition(ecs, 'agent', [container('agent', 'acme/agent:1')]), {
      schedulingStrategy: 'DAEMON',
      desiredCount: undefined,
    });
    const run = await scale('prod/agent', '--count', '2');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/DAEMON/);
  });

  it('warns when Application Auto Scaling would undo the count, and moves its bounds with --update-autoscaling', async () => {
    await autoscaling.send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: 'ecs',
        ResourceId: 'service/prod/web',
        ScalableDimension: 'ecs:service:DesiredCount',
        MinCapacity: 2,
        MaxCapacity: 6,
      }),
    );
    const warned = await scale('prod/web', '--count', '8');
    expect(warned.code).toBe(0);
    expect(warned.stdout).toMatch(/Application Auto Scaling keeps prod\/web between 2 and 6/);
    const bounds = async () =>
      (await autoscaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: ['service/prod/web'] })))
        .ScalableTargets?.[0];
    expect((await bounds())?.MaxCapacity).toBe(6);

    const moved = await scale('prod/web', '--count', '9', '--update-autoscaling');
    expect(moved.code).toBe(0);
    expect(await bounds()).toMatchObject({ MinCapacity: 2, MaxCapacity: 9 });
    expect((await counts('prod', 'web')).desired).toBe(9);
  });
});
