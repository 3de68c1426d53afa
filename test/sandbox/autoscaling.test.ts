// What the sandbox adds to moto for alarm scaling, proved with the real AWS SDK clients: ECS's tag limits
// (ecs_limits.py) and Application Auto Scaling's hold on a service's count (app_autoscaling.py).
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeServicesCommand, ListTagsForResourceCommand, TagResourceCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from './endpoint.js';
import { container, createCluster, createService, ecsClient, REGION, registerTaskDefinition } from '../ecs.js';
import { sandboxControl } from './client.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
const ecs = ecsClient(endpoint);
const autoscaling = new ApplicationAutoScalingClient({ endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
let serviceArn = '';

const service = async () => (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services?.[0];
const register = (min: number, max: number) =>
  autoscaling.send(
    new RegisterScalableTargetCommand({
      ServiceNamespace: 'ecs',
      ResourceId: 'service/prod/web',
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity: min,
      MaxCapacity: max,
    }),
  );

beforeEach(async () => {
  await sandbox.reset();
  await createCluster(ecs, 'prod');
  await createService(ecs, 'prod', 'web', await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]), { desiredCount: 4 });
  serviceArn = (await service())?.serviceArn ?? '';
});

describe('Application Auto Scaling', () => {
  it('RegisterScalableTarget brings the desired count into MinCapacity..MaxCapacity, and the scheduler follows', async () => {
    await register(1, 3);
    expect((await service())?.desiredCount).toBe(3);
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: 0 }));
    // An out-of-band change stands until Application Auto Scaling next looks (a policy runs or the target is registered).
    expect((await service())?.desiredCount).toBe(0);
    await register(2, 3);
    expect((await service())?.desiredCount).toBe(2);
    await sandbox.tick();
    await sandbox.tick();
    expect((await service())?.runningCount).toBeLessThanOrEqual(2);
    const targets = await autoscaling.send(
      new DescribeScalableTargetsCommand({
        ServiceNamespace: 'ecs',
        ResourceIds: ['service/prod/web'],
        ScalableDimension: 'ecs:service:DesiredCount',
      }),
    );
    expect(targets.ScalableTargets?.map((target) => [target.ResourceId, target.MinCapacity, target.MaxCapacity])).toEqual([
      ['service/prod/web', 2, 3],
    ]);
  });

  it('leaves a count already in range alone', async () => {
    await register(1, 10);
    expect((await service())?.desiredCount).toBe(4);
  });
});

describe('ECS tag limits (API_Tag)', () => {
  const tags = (count: number, prefix = 'k') => Array.from({ length: count }, (_, index) => ({ key: `${prefix}${index}`, value: 'v' }));
  const tagService = (added: { key: string; value: string }[]) => ecs.send(new TagResourceCommand({ resourceArn: serviceArn, tags: added }));

  it("counts a resource's tags after TagResource merges: 50 at most, a replaced key not counted twice", async () => {
    await tagService(tags(30));
    await tagService(tags(20, 'j'));
    await expect(tagService([{ key: 'one-more', value: 'v' }])).rejects.toThrow(/at most 50 tags, it would have 51/);
    await tagService([{ key: 'k3', value: 'replaced' }]);
    const now = (await ecs.send(new ListTagsForResourceCommand({ resourceArn: serviceArn }))).tags ?? [];
    expect(now).toHaveLength(50);
    expect(now).toContainEqual({ key: 'k3', value: 'replaced' });
  });

  it.each([
    ['a key over 128 characters', { key: 'k'.repeat(129), value: 'v' }, /1 to 128/],
    ['a value over 256 characters', { key: 'k', value: 'v'.repeat(257) }, /at most 256/],
    ['a character outside letters, digits, spaces and _ . : / = + - @', { key: 'k', value: 'a,b' }, /characters outside/],
  ])('refuses %s', async (_name, tag, message) => {
    await expect(tagService([tag])).rejects.toThrow(message);
  });

  it('takes a key of 128 and a value of 256 characters, any script', async () => {
    await tagService([{ key: 'k'.repeat(128), value: `${'é'.repeat(247)} _.:/=+-@` }]);
    const now = (await ecs.send(new ListTagsForResourceCommand({ resourceArn: serviceArn }))).tags ?? [];
    expect(now).toHaveLength(1);
  });
});
