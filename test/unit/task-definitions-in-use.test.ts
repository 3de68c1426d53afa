/**
 * Discovery, planning and registration together, counted call by call, over a TEST DOUBLE of the ECS
 * client: the sandbox cannot make a revision DELETE_IN_PROGRESS, and counting every DescribeTaskDefinition
 * per scenario needs an estate built exactly. The double answers as ECS documents
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html): a bare
 * family names its newest ACTIVE revision, a revision of any status is described when named, and a family
 * without an ACTIVE revision is a ClientException.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { SdkEcs } from '../../src/aws/ecs.js';
import { discoverRolloutState } from '../../src/aws/ecs-discovery.js';
import { familyOfTaskDefinition } from '../../src/aws/task-definitions-in-use.js';
import { executeRollout } from '../../src/core/execute.js';
import { planRollout } from '../../src/core/plan.js';
import { aRequest, clusterArnOf, serviceArnOf, taskDefinitionArnOf } from './builders.js';
import { FakeClock, FakeEcsClient, type SentCommand } from '../fakes.js';

type Input = Record<string, unknown>;
type Status = 'ACTIVE' | 'INACTIVE' | 'DELETE_IN_PROGRESS';

interface Revision {
  readonly family: string;
  readonly revision: number;
  status: Status;
  readonly containerDefinitions: { name: string; image: string; essential: boolean }[];
  readonly tags: { key: string; value: string }[];
}

/** The ECS estate the double answers from: revisions, services (name → revision ARN) and the calls made. */
class FakeEcs {
  readonly revisions: Revision[] = [];
  readonly services = new Map<string, string>();
  get calls(): SentCommand[] {
    return this.client.sent;
  }

  /** Adds the next revision of `family` running `image` in container `app`, and `sidecar` beside it when given. */
  revision(family: string, image: string, options: { status?: Status; sidecar?: string } = {}): string {
    const revision = this.revisions.filter((entry) => entry.family === family).length + 1;
    const containerDefinitions = [{ name: 'app', image, essential: true }];
    if (options.sidecar !== undefined) containerDefinitions.push({ name: 'sidecar', image: options.sidecar, essential: false });
    this.revisions.push({ family, revision, status: options.status ?? 'ACTIVE', containerDefinitions, tags: [{ key: 'team', value: 'a' }] });
    return taskDefinitionArnOf(family, revision);
  }

  service(name: string, taskDefinitionArn: string): void {
    this.services.set(name, taskDefinitionArn);
  }

  count(name: string): number {
    return this.calls.filter((call) => call.name === name).length;
  }

  describedByName(): string[] {
    return this.calls
      .filter((call) => call.name === 'DescribeTaskDefinitionCommand')
      .map((call) => String(call.input.taskDefinition).split('/').pop() ?? '');
  }

  revisionsOf(family: string): Revision[] {
    return this.revisions.filter((entry) => entry.family === family);
  }

  private answer(entry: Revision) {
    const arn = taskDefinitionArnOf(entry.family, entry.revision);
    return {
      taskDefinition: {
        taskDefinitionArn: arn,
        family: entry.family,
        revision: entry.revision,
        status: entry.status,
        containerDefinitions: structuredClone(entry.containerDefinitions),
      },
      tags: structuredClone(entry.tags),
    };
  }

  private sdkService(name: string) {
    const taskDefinition = this.services.get(name) ?? '';
    return {
      clusterArn: clusterArnOf('prod'),
      serviceName: name,
      serviceArn: serviceArnOf('prod', name),
      status: 'ACTIVE',
      taskDefinition,
      desiredCount: 1,
      runningCount: 1,
      pendingCount: 0,
      deployments: [{ id: `ecs-svc/${name}`, status: 'PRIMARY', taskDefinition, desiredCount: 1, runningCount: 1, pendingCount: 0, failedTasks: 0 }],
    };
  }

  private readonly handlers: Record<string, (input: Input) => unknown> = {
    ListClustersCommand: () => ({ clusterArns: [clusterArnOf('prod')] }),
    ListServicesCommand: () => ({ serviceArns: [...this.services.keys()].map((name) => serviceArnOf('prod', name)) }),
    DescribeServicesCommand: (input) => ({ services: (input.services as string[]).map((name) => this.sdkService(name.split('/').pop() ?? '')) }),
    ListTaskDefinitionFamiliesCommand: () => ({
      families: [...new Set(this.revisions.filter((entry) => entry.status === 'ACTIVE').map((entry) => entry.family))],
    }),
    DescribeTaskDefinitionCommand: (input) => {
      const name = String(input.taskDefinition).split('/').pop() ?? '';
      const colon = name.lastIndexOf(':');
      const found =
        colon === -1
          ? this.revisionsOf(name)
              .filter((entry) => entry.status === 'ACTIVE')
              .at(-1)
          : this.revisionsOf(name.slice(0, colon)).find((entry) => entry.revision === Number(name.slice(colon + 1)));
      if (found === undefined) throw Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' });
      return this.answer(found);
    },
    RegisterTaskDefinitionCommand: (input) => {
      const family = String(input.family);
      const revision = this.revisionsOf(family).length + 1;
      const entry: Revision = {
        family,
        revision,
        status: 'ACTIVE',
        containerDefinitions: structuredClone(input.containerDefinitions) as Revision['containerDefinitions'],
        tags: structuredClone((input.tags as Revision['tags'] | undefined) ?? []),
      };
      this.revisions.push(entry);
      return this.answer(entry);
    },
    UpdateServiceCommand: (input) => {
      this.services.set(String(input.service), String(input.taskDefinition));
      return { service: this.sdkService(String(input.service)) };
    },
  };

  /** The recorder the SDK adapter sends through; `calls` reads what it saw. */
  readonly client = new FakeEcsClient(this.handlers);
}

const clock = new FakeClock({ advance: false });

/** One `ecs-roll rollout acme/web:1.1 --no-wait` over the fake, as the CLI runs it. */
async function rollout(fake: FakeEcs, allFamilies = false) {
  const ecs = new SdkEcs(fake.client as unknown as ECSClient);
  const state = await discoverRolloutState(ecs, { clusters: ['prod'], allFamilies, concurrency: 4 });
  const plan = planRollout(state, aRequest('acme/web:1.1'));
  const result = await executeRollout(
    plan,
    { ecs, clock, emit: () => {} },
    { wait: false, timeoutMs: 1000, pollIntervalMs: 10, rollback: false, concurrency: 4 },
  );
  expect(result.ok).toBe(true);
  return { plan, result };
}

const OLD = 'acme/web:1.0';
const NEW = 'acme/web:1.1';

describe('discovery and registration at the lower bound of calls', () => {
  it('a family whose newest revision is in use: one DescribeTaskDefinition (the family), one registration', async () => {
    const fake = new FakeEcs();
    fake.service('a', fake.revision('web', OLD));
    await rollout(fake);
    expect(fake.describedByName()).toEqual(['web']);
    expect(fake.count('RegisterTaskDefinitionCommand')).toBe(1);
    expect(fake.services.get('a')).toBe(taskDefinitionArnOf('web', 2));
  });

  it('20 services, each on the newest revision of its own family: one describe per family', async () => {
    const fake = new FakeEcs();
    for (let i = 0; i < 20; i += 1) fake.service(`svc-${i}`, fake.revision(`web-${i}`, OLD));
    await rollout(fake);
    expect(fake.count('DescribeTaskDefinitionCommand')).toBe(20);
    expect(fake.count('RegisterTaskDefinitionCommand')).toBe(20);
    expect(fake.count('UpdateServiceCommand')).toBe(20);
  });

  it.each([
    { case: 'adjacent revisions, the newer one newest', revisions: [OLD, OLD], inUse: [1, 2] },
    { case: 'revisions with unused ones between', revisions: [OLD, 'acme/web:0.9', 'acme/web:0.8', OLD], inUse: [1, 4] },
    { case: 'three revisions in use', revisions: [OLD, OLD, OLD], inUse: [1, 2, 3] },
    { case: 'the newest revision unused', revisions: [OLD, OLD, 'acme/web:0.7'], inUse: [1, 2], extra: 1 },
  ])('a family shared by several revisions in use ($case): one describe per revision in use', async ({ revisions, inUse, extra = 0 }) => {
    const fake = new FakeEcs();
    // Each revision has its own sidecar, so no two of them become the same registration.
    const arns = revisions.map((image, index) => fake.revision('web', image, { sidecar: `fluent/fluent-bit:${index}` }));
    for (const [index, revision] of inUse.entries()) fake.service(`svc-${index}`, arns[revision - 1] as string);
    await rollout(fake);
    expect(fake.count('DescribeTaskDefinitionCommand')).toBe(inUse.length + extra);
    expect(fake.count('RegisterTaskDefinitionCommand')).toBe(inUse.length);
    expect(fake.revisionsOf('web')).toHaveLength(revisions.length + inUse.length);
  });

  it('an unrelated newer revision not in use costs one call more, and is not reused', async () => {
    const fake = new FakeEcs();
    fake.service('a', fake.revision('web', OLD));
    fake.revision('web', 'acme/web:2.0-rc');
    await rollout(fake);
    expect(fake.describedByName().sort()).toEqual(['web', 'web:1']);
    expect(fake.count('RegisterTaskDefinitionCommand')).toBe(1);
    expect(fake.services.get('a')).toBe(taskDefinitionArnOf('web', 3));
  });

  it('a copy an interrupted run left as the newest revision is reused: one call more, no registration', async () => {
    const fake = new FakeEcs();
    fake.service('a', fake.revision('web', OLD));
    await rollout(fake);
    fake.service('a', taskDefinitionArnOf('web', 1)); // killed after registering, before updating
    fake.calls.length = 0;
    const { result } = await rollout(fake);
    expect(fake.describedByName().sort()).toEqual(['web', 'web:1']);
    expect(fake.count('RegisterTaskDefinitionCommand')).toBe(0);
    expect(result.registrations).toEqual([{ family: 'web', from: taskDefinitionArnOf('web', 1), to: taskDefinitionArnOf('web', 2) }]);
    expect(fake.revisionsOf('web')).toHaveLength(2);
  });

  it('two copies an interrupted run left in one family: both reused, the one below the newest found by describing it', async () => {
    const fake = new FakeEcs();
    fake.service('a', fake.revision('web', OLD));
    fake.service('b', fake.revision('web', OLD, { sidecar: 'fluent/fluent-bit:3' }));
    // What the earlier run registered, copies of web:1 and web:2, before it was killed.
    fake.revision('web', NEW);
    fake.revision('web', NEW, { sidecar: 'fluent/fluent-bit:3' });
    await rollout(fake);
    expect(fake.count('RegisterTaskDefinitionCommand')).toBe(0);
    // web (newest: web:4), web:1, web:2, then web:3 while looking below the newest for web:1's copy.
    expect(fake.describedByName().sort()).toEqual(['web', 'web:1', 'web:2', 'web:3']);
    expect(new Set(fake.services.values())).toEqual(new Set([taskDefinitionArnOf('web', 3), taskDefinitionArnOf('web', 4)]));
  });

  it.each(['INACTIVE', 'DELETE_IN_PROGRESS'] as const)(
    'a copy that is %s above the revision in use is not reused, and costs no call',
    async (status) => {
      const fake = new FakeEcs();
      fake.service('a', fake.revision('web', OLD));
      await rollout(fake);
      fake.service('a', taskDefinitionArnOf('web', 1));
      (fake.revisionsOf('web')[1] as Revision).status = status;
      fake.calls.length = 0;
      await rollout(fake);
      expect(fake.describedByName()).toEqual(['web']);
      expect(fake.count('RegisterTaskDefinitionCommand')).toBe(1);
      expect(fake.services.get('a')).toBe(taskDefinitionArnOf('web', 3));
    },
  );

  it('a revision in use that is INACTIVE, under an ACTIVE newest one: described by ARN, one call more', async () => {
    const fake = new FakeEcs();
    fake.service('a', fake.revision('web', OLD, { status: 'INACTIVE' }));
    fake.revision('web', 'acme/web:0.9');
    await rollout(fake);
    expect(fake.describedByName().sort()).toEqual(['web', 'web:1']);
    expect(fake.count('RegisterTaskDefinitionCommand')).toBe(1);
  });

  it('a family with no ACTIVE revision left: the failed family describe stands for the reuse check', async () => {
    const fake = new FakeEcs();
    fake.service('a', fake.revision('web', OLD, { status: 'INACTIVE' }));
    await rollout(fake);
    expect(fake.describedByName().sort()).toEqual(['web', 'web:1']);
    expect(fake.count('RegisterTaskDefinitionCommand')).toBe(1);
    expect(fake.services.get('a')).toBe(taskDefinitionArnOf('web', 2));
  });

  it('--all-families: an idle family is described once by name and registered without another call', async () => {
    const fake = new FakeEcs();
    fake.service('a', fake.revision('web', OLD));
    fake.revision('batch', OLD);
    fake.revision('cron', 'acme/api:1.0');
    const { plan } = await rollout(fake, true);
    expect(plan.registrations.map((registration) => [registration.family, registration.idleFamily])).toEqual([
      ['web', false],
      ['batch', true],
    ]);
    expect(fake.describedByName().sort()).toEqual(['batch', 'cron', 'web']);
    expect(fake.count('RegisterTaskDefinitionCommand')).toBe(2);
    expect(fake.revisionsOf('batch')).toHaveLength(2);
  });

  it('a second run right after a complete one registers nothing and describes each family once', async () => {
    const fake = new FakeEcs();
    fake.service('a', fake.revision('web', OLD));
    fake.service('b', fake.revision('api', OLD));
    await rollout(fake);
    fake.calls.length = 0;
    const { plan } = await rollout(fake);
    expect(plan.registrations).toEqual([]);
    expect(fake.describedByName().sort()).toEqual(['api', 'web']);
  });
});

describe('familyOfTaskDefinition', () => {
  it.each([
    [taskDefinitionArnOf('web', 3), 'web'],
    [taskDefinitionArnOf('my-app_v2', 120), 'my-app_v2'],
    ['web:7', 'web'],
    ['web', 'web'],
  ])('%s → %s', (arn, family) => {
    expect(familyOfTaskDefinition(arn)).toBe(family);
  });
});
