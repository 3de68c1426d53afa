import { describe, expect, it } from 'vitest';
import { executeRollout, type RolloutResult } from '../../src/core/execute.js';
import type { DeploymentSnapshot, ServiceSnapshot, TaskDefinitionSnapshot } from '../../src/core/model.js';
import { planRollout, PUSHED_AT_TAG } from '../../src/core/plan.js';
import type { EcsPort, UpdateServiceRequest } from '../../src/core/ports.js';
import { aContainer, aDeployment, anObservedState, aRequest, aService, aTaskDefinition, taskDefinitionArnOf } from './builders.js';
import { FakeClock } from '../fakes.js';

const SOURCE = taskDefinitionArnOf('web', 1);
const OURS = taskDefinitionArnOf('web', 2);
const OTHER = taskDefinitionArnOf('web', 3);
const OUR_START = 1000;

/**
 * A test double for ECS in a race with another rollout (a unit test of the executor's ordering):
 * each DescribeServices answer is scripted, and the third revision carries whatever push time a case gives it.
 */
class RaceFake implements EcsPort {
  readonly updates: UpdateServiceRequest[] = [];
  private deploymentSequence = 0;
  /** The service as it is now; a case rewrites it to play the other rollout. */
  service: ServiceSnapshot = aService({ taskDefinitionArn: SOURCE });
  /** Runs after each of our UpdateService calls, to let the other rollout act. */
  afterUpdate: (fake: RaceFake, count: number) => void = () => {};

  constructor(readonly otherPushedAt: number | undefined) {}

  deployment(taskDefinitionArn: string, overrides: Partial<DeploymentSnapshot> = {}): DeploymentSnapshot {
    this.deploymentSequence += 1;
    return aDeployment({ id: `ecs-svc/${this.deploymentSequence}`, taskDefinitionArn, rolloutState: 'IN_PROGRESS', runningCount: 0, ...overrides });
  }

  /** Makes `taskDefinitionArn` the service's PRIMARY deployment, the others ACTIVE. */
  deploy(taskDefinitionArn: string, overrides: Partial<DeploymentSnapshot> = {}): ServiceSnapshot {
    const primary = this.deployment(taskDefinitionArn, overrides);
    this.service = {
      ...this.service,
      taskDefinitionArn,
      deployments: [primary, ...this.service.deployments.map((previous) => ({ ...previous, status: 'ACTIVE' }))],
    };
    return this.service;
  }

  complete(): void {
    const [primary] = this.service.deployments;
    if (primary !== undefined)
      this.service = { ...this.service, deployments: [{ ...primary, rolloutState: 'COMPLETED', runningCount: primary.desiredCount }] };
  }

  async registerTaskDefinition() {
    return { taskDefinitionArn: OURS };
  }

  async latestTaskDefinition(): Promise<TaskDefinitionSnapshot | undefined> {
    return aTaskDefinition({ family: 'web', revision: 1 });
  }

  async describeTaskDefinition(taskDefinition: string): Promise<TaskDefinitionSnapshot> {
    const revision = Number(taskDefinition.split(':').pop());
    const pushedAt = revision === 3 ? this.otherPushedAt : revision === 2 ? OUR_START : undefined;
    return aTaskDefinition({ family: 'web', revision, tags: pushedAt === undefined ? [] : [{ key: PUSHED_AT_TAG, value: String(pushedAt) }] });
  }

  async updateService(request: UpdateServiceRequest): Promise<ServiceSnapshot> {
    this.updates.push(request);
    const answer = this.deploy(request.taskDefinitionArn ?? this.service.taskDefinitionArn);
    this.afterUpdate(this, this.updates.length);
    return answer;
  }

  async describeServices(): Promise<ServiceSnapshot[]> {
    return [this.service];
  }

  async listServiceTasks() {
    return [];
  }

  async stopTask() {}
}

const clock = new FakeClock({ advance: false, tick: 1 });

async function race(fake: RaceFake): Promise<RolloutResult> {
  const source = aTaskDefinition({ family: 'web', revision: 1, containers: [aContainer({ name: 'web', image: 'acme/web:1.0' })] });
  const plan = planRollout(anObservedState([aService({ taskDefinitionArn: SOURCE })], [source]), {
    ...aRequest('acme/web:1.1'),
    pushedAt: OUR_START,
  });
  return executeRollout(
    plan,
    { ecs: fake, clock, emit: () => {} },
    { wait: true, timeoutMs: 1_000_000, pollIntervalMs: 1, rollback: true, concurrency: 2 },
  );
}

describe('two rollouts racing over one service', () => {
  it('puts its revision back over an older rollout that landed last, and waits for that', async () => {
    const fake = new RaceFake(OUR_START - 10);
    fake.afterUpdate = (self, count) => {
      if (count === 1)
        self.deploy(OTHER); // the older run's update lands after ours
      else self.complete();
    };
    const result = await race(fake);
    expect(fake.updates.map((update) => update.taskDefinitionArn)).toEqual([OURS, OURS]);
    expect(result.services[0]?.outcome).toBe('completed');
    expect(result.ok).toBe(true);
  });

  it('yields to a later rollout: superseded, not rolled back', async () => {
    const fake = new RaceFake(OUR_START + 10);
    fake.afterUpdate = (self, count) => {
      if (count === 1) self.deploy(OTHER);
    };
    const result = await race(fake);
    expect(fake.updates.map((update) => update.taskDefinitionArn)).toEqual([OURS]);
    expect(result.services[0]).toMatchObject({ outcome: 'superseded' });
    expect(result.ok).toBe(false);
  });

  it('leaves a change made outside ecs-roll alone', async () => {
    const fake = new RaceFake(undefined);
    fake.afterUpdate = (self, count) => {
      if (count === 1) self.deploy(OTHER);
    };
    const result = await race(fake);
    expect(fake.updates).toHaveLength(1);
    expect(result.services[0]?.reason).toMatch(/something other than this run/);
  });

  it('gives a service back when its own update overwrote a later rollout', async () => {
    const fake = new RaceFake(OUR_START + 10);
    fake.deploy(OTHER); // the later run got there first, after this run planned
    fake.afterUpdate = (self, count) => {
      if (count === 2) self.complete();
    };
    const result = await race(fake);
    expect(fake.updates.map((update) => update.taskDefinitionArn)).toEqual([OURS, OTHER]);
    expect(result.services[0]?.outcome).toBe('superseded');
  });

  it('settles a tie of start times by revision, the same way on both sides', async () => {
    const tie = new RaceFake(OUR_START);
    tie.afterUpdate = (self, count) => {
      if (count === 1) self.deploy(OTHER);
    };
    // web:3 is the higher revision, so it wins the tie and this run yields.
    expect((await race(tie)).services[0]?.outcome).toBe('superseded');
  });

  it('follows a deployment another run made of its own revision instead of failing', async () => {
    const fake = new RaceFake(OUR_START + 10);
    fake.afterUpdate = (self, count) => {
      if (count === 1) {
        self.deploy(OTHER);
        self.deploy(OURS); // the other run gave the service back with a deployment of its own
        self.complete();
      }
    };
    const result = await race(fake);
    expect(fake.updates).toHaveLength(1);
    expect(result.services[0]?.outcome).toBe('completed');
  });
});
