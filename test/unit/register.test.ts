import { describe, expect, it } from 'vitest';
import { RevisionConflictError, TransientAwsError } from '../../src/core/errors.js';
import { executeRollout } from '../../src/core/execute.js';
import type { ServiceSnapshot, TaskDefinitionSnapshot } from '../../src/core/model.js';
import { planRollout } from '../../src/core/plan.js';
import type { EcsPort, UpdateServiceRequest } from '../../src/core/ports.js';
import { registrationInput, sameRegistration, type RegisterTaskDefinitionInput } from '../../src/core/task-definition.js';
import { aContainer, anObservedState, aRequest, aService, aTaskDefinition, taskDefinitionArnOf } from './builders.js';
import { FakeClock } from '../fakes.js';

/**
 * A test double for the registration half of ECS (a unit test of the executor's idempotent
 * registration): it keeps every registered revision and can lose answers or refuse calls on cue.
 */
class RegistrationFake implements EcsPort {
  readonly revisions: TaskDefinitionSnapshot[] = [];
  registerCalls = 0;
  readonly describes: string[] = [];
  /**
   * What each register call does: 'ok', 'lost' (registered, answer lost), 'throttled', 'refused', 'conflict'
   * (another run is registering the family), 'conflict-theirs' (another run registered the identical copy meanwhile).
   */
  script: ('ok' | 'lost' | 'throttled' | 'refused' | 'conflict' | 'conflict-theirs')[] = [];

  constructor(source: TaskDefinitionSnapshot) {
    this.revisions.push(source);
  }

  async registerTaskDefinition(input: RegisterTaskDefinitionInput) {
    this.registerCalls += 1;
    const step = this.script.shift() ?? 'ok';
    if (step === 'throttled') throw new TransientAwsError('ThrottlingException: Rate exceeded');
    if (step === 'refused') throw new Error('ClientException: invalid container definition');
    const conflict = new RevisionConflictError('ClientException: Too many concurrent attempts to create a new revision of the specified family.');
    if (step === 'conflict') throw conflict;
    const revision = this.revisions.length + 1;
    const { tags = [], ...definition } = input as RegisterTaskDefinitionInput & { tags?: { key: string; value: string }[] };
    const arn = taskDefinitionArnOf(input.family, revision);
    this.revisions.push({
      arn,
      family: input.family,
      revision,
      definition: { ...definition, taskDefinitionArn: arn, revision, status: 'ACTIVE' },
      tags,
    });
    if (step === 'lost') throw new TransientAwsError('socket hang up');
    if (step === 'conflict-theirs') throw conflict;
    return { taskDefinitionArn: arn };
  }

  async latestTaskDefinition(): Promise<TaskDefinitionSnapshot | undefined> {
    return this.revisions.at(-1);
  }

  async describeTaskDefinition(taskDefinition: string): Promise<TaskDefinitionSnapshot> {
    this.describes.push(taskDefinition);
    const revision = Number(taskDefinition.split(':').pop());
    const found = this.revisions.find((candidate) => candidate.revision === revision);
    if (found === undefined) throw new Error(`ClientException: no revision ${taskDefinition}`);
    return found;
  }

  async updateService(request: UpdateServiceRequest): Promise<ServiceSnapshot> {
    return aService({ serviceName: request.service, taskDefinitionArn: request.taskDefinitionArn ?? '' });
  }

  async describeServices(): Promise<ServiceSnapshot[]> {
    return [];
  }

  async listServiceTasks() {
    return [];
  }

  async stopTask() {}
}

/** Time stands still: only the pauses asked for are recorded. */
const clock = new FakeClock({ advance: false });
const sleeps = clock.sleeps;
/** What the executor's random source answers; near 1 the jittered pause is the whole backoff. */
let randomness = 0.999_999;

function setUp() {
  const source = aTaskDefinition({
    family: 'web',
    revision: 1,
    containers: [aContainer({ name: 'web', image: 'acme/web:1.0' })],
    tags: [{ key: 'team', value: 'a' }],
  });
  const plan = planRollout(anObservedState([aService({ serviceName: 'web', taskDefinitionArn: source.arn })], [source]), aRequest('acme/web:1.1'));
  const ecs = new RegistrationFake(source);
  const run = () =>
    executeRollout(
      plan,
      { ecs, clock, emit: () => {}, random: () => randomness },
      { wait: false, timeoutMs: 1000, pollIntervalMs: 10, rollback: false, concurrency: 4 },
    );
  sleeps.length = 0;
  randomness = 0.999_999;
  return { ecs, run, plan };
}

describe('registering a revision at most once', () => {
  it('registers when the newest revision is the source', async () => {
    const { ecs, run } = setUp();
    const result = await run();
    expect(ecs.registerCalls).toBe(1);
    expect(result.registrations).toEqual([{ family: 'web', from: taskDefinitionArnOf('web', 1), to: taskDefinitionArnOf('web', 2) }]);
  });

  it('reuses an identical newest revision left by an interrupted run, registering nothing', async () => {
    const { ecs, run } = setUp();
    await run();
    const again = await run();
    expect(ecs.registerCalls).toBe(1);
    expect(ecs.revisions).toHaveLength(2);
    expect(again.services[0]?.newTaskDefinitionArn).toBe(taskDefinitionArnOf('web', 2));
  });

  it('does not reuse a newest revision that differs', async () => {
    const { ecs, run, plan } = setUp();
    const other = { ...(plan.registrations[0]?.input as RegisterTaskDefinitionInput), cpu: '1024' };
    await ecs.registerTaskDefinition(other);
    ecs.registerCalls = 0;
    await run();
    expect(ecs.registerCalls).toBe(1);
    expect(ecs.revisions).toHaveLength(3);
  });

  it('finds the revision a registration made when its answer was lost, instead of registering again', async () => {
    const { ecs, run } = setUp();
    ecs.script = ['lost'];
    const result = await run();
    expect(ecs.registerCalls).toBe(1);
    expect(ecs.revisions).toHaveLength(2);
    expect(result.ok).toBe(true);
    expect(result.services[0]?.newTaskDefinitionArn).toBe(taskDefinitionArnOf('web', 2));
  });

  it('retries a throttled registration with growing pauses', async () => {
    const { ecs, run } = setUp();
    ecs.script = ['throttled', 'throttled', 'ok'];
    const result = await run();
    expect(result.ok).toBe(true);
    expect(ecs.registerCalls).toBe(3);
    expect(ecs.revisions).toHaveLength(2);
    expect(sleeps).toEqual([500, 1000]);
  });

  it('spreads retries with jitter between half and all of the backoff', async () => {
    const { ecs, run } = setUp();
    ecs.script = ['throttled', 'throttled', 'ok'];
    randomness = 0;
    await run();
    expect(sleeps).toEqual([250, 500]);
  });

  it('retries a registration conflict with another run, and registers once the family is free', async () => {
    const { ecs, run } = setUp();
    ecs.script = ['conflict', 'conflict', 'ok'];
    const result = await run();
    expect(result.ok).toBe(true);
    expect(ecs.registerCalls).toBe(3);
    expect(ecs.revisions).toHaveLength(2);
  });

  it('reuses the identical revision the conflicting run registered, so both runs converge on one', async () => {
    const { ecs, run } = setUp();
    ecs.script = ['conflict-theirs'];
    const result = await run();
    expect(ecs.registerCalls).toBe(1);
    expect(ecs.revisions).toHaveLength(2);
    expect(result.services[0]?.newTaskDefinitionArn).toBe(taskDefinitionArnOf('web', 2));
  });

  it('does not reuse an identical revision that is not ACTIVE (being deleted)', async () => {
    const { ecs, run } = setUp();
    await run();
    const copy = ecs.revisions[1] as TaskDefinitionSnapshot;
    ecs.revisions[1] = { ...copy, status: 'DELETE_IN_PROGRESS' };
    await run();
    expect(ecs.registerCalls).toBe(2);
    expect(ecs.revisions).toHaveLength(3);
  });

  it('gives up after eight throttled attempts and changes no service', async () => {
    const { ecs, run } = setUp();
    ecs.script = Array(8).fill('throttled');
    const result = await run();
    expect(ecs.registerCalls).toBe(8);
    expect(result.ok).toBe(false);
    expect(result.services[0]?.outcome).toBe('not-started');
  });

  it('does not retry a refusal', async () => {
    const { ecs, run } = setUp();
    ecs.script = ['refused'];
    const result = await run();
    expect(ecs.registerCalls).toBe(1);
    expect(result.services[0]?.reason).toMatch(/invalid container definition/);
  });
});

describe('registering two revisions of one family', () => {
  it('reuses both copies an interrupted run left, though only one of them is the newest', async () => {
    const first = aTaskDefinition({ family: 'web', revision: 1, containers: [aContainer({ name: 'web', image: 'acme/web:1.0' })] });
    const second = aTaskDefinition({
      family: 'web',
      revision: 2,
      containers: [aContainer({ name: 'web', image: 'acme/web:1.0' }), aContainer({ name: 'log', image: 'fluent/fluent-bit:3' })],
    });
    const plan = planRollout(
      anObservedState(
        [aService({ serviceName: 'a', taskDefinitionArn: first.arn }), aService({ serviceName: 'b', taskDefinitionArn: second.arn })],
        [first, second],
      ),
      aRequest('acme/web:1.1'),
    );
    const ecs = new RegistrationFake(first);
    ecs.revisions.push(second);
    const run = () =>
      executeRollout(plan, { ecs, clock, emit: () => {} }, { wait: false, timeoutMs: 1000, pollIntervalMs: 10, rollback: false, concurrency: 4 });
    await run();
    expect(ecs.revisions.map((revision) => revision.revision)).toEqual([1, 2, 3, 4]);
    const again = await run();
    expect(ecs.registerCalls).toBe(2);
    expect(ecs.revisions).toHaveLength(4);
    expect(again.services.map((service) => service.newTaskDefinitionArn).sort()).toEqual([
      taskDefinitionArnOf('web', 3),
      taskDefinitionArnOf('web', 4),
    ]);
  });
});

describe('sameRegistration', () => {
  const base = registrationInput(
    aTaskDefinition().definition,
    [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ],
    new Map(),
  );
  it.each([
    ['the same input', base, true],
    ['keys in another order', Object.fromEntries(Object.entries(base).reverse()), true],
    [
      'tags in another order',
      {
        ...base,
        tags: [
          { key: 'b', value: '2' },
          { key: 'a', value: '1' },
        ],
      },
      true,
    ],
    ['an empty list the API omitted', { ...base, volumes: [] }, true],
    ['another image', { ...base, containerDefinitions: [{ ...base.containerDefinitions[0], image: 'nginx:2' }] }, false],
    [
      'another tag value',
      {
        ...base,
        tags: [
          { key: 'a', value: '1' },
          { key: 'b', value: '3' },
        ],
      },
      false,
    ],
    ['a field more', { ...base, pidMode: 'task' }, false],
  ])('%s → %s', (_, other, expected) => {
    expect(sameRegistration(base, other as RegisterTaskDefinitionInput)).toBe(expected);
  });
});
