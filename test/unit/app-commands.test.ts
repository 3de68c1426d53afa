/**
 * Whole commands run against fakes at their ports: read, plan, execute, report, with no AWS and no
 * process. TEST DOUBLE: `MemoryEcs` is an in-memory ECS at the EcsPort/EcsReader seam that completes
 * every deployment at the next describe; it models no scheduling (the sandbox tests cover ECS itself).
 */
import { describe, expect, it } from 'vitest';
import { startPush } from '../../src/app/push.js';
import { type RolloutPorts, runRollout } from '../../src/app/rollout.js';
import { runScale, type ScaleReporter } from '../../src/app/scale.js';
import { runStatus } from '../../src/app/status.js';
import { runJob } from '../../src/app/webhook-job.js';
import { MissingClusterError } from '../../src/core/errors.js';
import type { RolloutEvent } from '../../src/core/events.js';
import { parseImageReference } from '../../src/core/image-ref.js';
import { nameFromArn, type ServiceSnapshot, type TaskDefinitionSnapshot, type TaskSnapshot } from '../../src/core/model.js';
import type { Clock, EcsPort, EcsReader, UpdateServiceRequest } from '../../src/core/ports.js';
import type { StatusDocument } from '../../src/core/status.js';
import type { RegisterTaskDefinitionInput } from '../../src/core/task-definition.js';
import type { WebhookConfig } from '../../src/webhook/config.js';
import { aContainer, aDeployment, aService, aTaskDefinition, clusterArnOf, REGION, targetOf, taskDefinitionArnOf } from './builders.js';

class MemoryEcs implements EcsPort, EcsReader {
  readonly calls: string[] = [];
  readonly services: ServiceSnapshot[] = [];
  readonly definitions = new Map<string, TaskDefinitionSnapshot>();
  private deployments = 0;

  constructor(services: ServiceSnapshot[], definitions: TaskDefinitionSnapshot[]) {
    this.services.push(...services);
    for (const definition of definitions) this.definitions.set(definition.arn, definition);
  }

  async region() {
    return REGION;
  }
  missingCluster(cluster: string) {
    return new MissingClusterError(`cluster ${nameFromArn(cluster)} does not exist`);
  }
  async listClusterArns() {
    this.calls.push('listClusterArns');
    return [...new Set(this.services.map((service) => service.clusterArn))];
  }
  async listServiceArns(cluster: string) {
    return this.services.filter((service) => service.clusterArn === cluster || service.clusterName === cluster).map((service) => service.serviceArn);
  }
  async listActiveFamilies() {
    return [...new Set([...this.definitions.values()].map((definition) => definition.family))];
  }
  async describeServices(cluster: string, names: readonly string[]) {
    return this.services.filter(
      (service) =>
        (service.clusterArn === cluster || service.clusterName === nameFromArn(cluster)) &&
        names.some((name) => name === service.serviceName || name === service.serviceArn),
    );
  }
  async latestTaskDefinition(family: string) {
    const revisions = [...this.definitions.values()].filter((definition) => definition.family === family);
    return revisions.sort((a, b) => b.revision - a.revision)[0];
  }
  async describeTaskDefinition(taskDefinition: string) {
    const found = [...this.definitions.values()].find(
      (definition) => definition.arn === taskDefinition || `${definition.family}:${definition.revision}` === taskDefinition,
    );
    if (found === undefined) throw new Error(`no task definition ${taskDefinition}`);
    return found;
  }
  async registerTaskDefinition(input: RegisterTaskDefinitionInput) {
    this.calls.push(`registerTaskDefinition ${input.family}`);
    const revision = ((await this.latestTaskDefinition(input.family))?.revision ?? 0) + 1;
    const registered = aTaskDefinition({ family: input.family, revision, containers: input.containerDefinitions as never });
    this.definitions.set(registered.arn, registered);
    return { taskDefinitionArn: registered.arn };
  }
  async tagResource() {}
  async updateService(request: UpdateServiceRequest) {
    this.calls.push(`updateService ${nameFromArn(request.cluster)}/${request.service}`);
    const index = this.services.findIndex((service) => service.clusterArn === request.cluster && service.serviceName === request.service);
    const current = this.services[index] as ServiceSnapshot;
    this.deployments += 1;
    const taskDefinitionArn = request.taskDefinitionArn ?? current.taskDefinitionArn;
    const desiredCount = request.desiredCount ?? current.desiredCount;
    const updated: ServiceSnapshot = {
      ...current,
      taskDefinitionArn,
      desiredCount,
      runningCount: desiredCount,
      deployments: [aDeployment({ id: `ecs-svc/${this.deployments}`, taskDefinitionArn, desiredCount, runningCount: desiredCount })],
    };
    this.services[index] = updated;
    return updated;
  }
  async listServiceTasks(): Promise<TaskSnapshot[]> {
    return [];
  }
  async stopTask() {}
}

const instantClock: Clock = { now: () => Date.now(), sleep: async () => {} };

function webAt(tag: string, service = 'web', cluster = 'prod') {
  const definition = aTaskDefinition({ family: service, containers: [aContainer({ image: `acme/web:${tag}` })] });
  return { service: aService({ clusterName: cluster, serviceName: service, taskDefinitionArn: definition.arn }), definition };
}

function rolloutPorts(ecs: MemoryEcs, events: RolloutEvent[]): RolloutPorts {
  return {
    clock: instantClock,
    emit: (event) => events.push(event),
    checkTarget: async (target) => ({ target }),
    open: () => ({
      ecs,
      runningDigests: async () => ({}),
      taskRunner: () => Promise.reject(new Error('no run-before here')),
      diagnose: async (result) => result,
      close: () => ecs.calls.push('close'),
    }),
  };
}

const request = {
  target: targetOf('acme/web:2'),
  strategy: 'rolling' as const,
  force: false,
  allFamilies: false,
  dryRun: false,
  wait: true,
  timeoutMs: 60_000,
  pollIntervalMs: 1,
  rollback: true,
};

describe('rollout against a fake ECS', () => {
  it('reads, plans, registers, updates, waits and closes the session', async () => {
    const { service, definition } = webAt('1');
    const ecs = new MemoryEcs([service], [definition]);
    const events: RolloutEvent[] = [];
    const { plan, result } = await runRollout(request, rolloutPorts(ecs, events));
    expect(plan.services.map((planned) => planned.action)).toEqual(['update']);
    expect(result?.ok).toBe(true);
    expect(result?.services[0]?.outcome).toBe('completed');
    expect(ecs.calls).toEqual(['listClusterArns', 'registerTaskDefinition web', 'updateService prod/web', 'close']);
    expect(events[0]?.type).toBe('plan');
    expect(ecs.services[0]?.taskDefinitionArn).toBe(taskDefinitionArnOf('web', 2));
  });

  it('a dry run stops after the plan and changes nothing', async () => {
    const { service, definition } = webAt('1');
    const ecs = new MemoryEcs([service], [definition]);
    const outcome = await runRollout({ ...request, dryRun: true }, rolloutPorts(ecs, []));
    expect(outcome.result).toBeUndefined();
    expect(ecs.calls).toEqual(['listClusterArns', 'close']);
  });

  it('a vetted plan that is refused changes nothing', async () => {
    const { service, definition } = webAt('1');
    const ecs = new MemoryEcs([service], [definition]);
    const outcome = await runRollout({ ...request, vetPlan: async () => 'no' }, rolloutPorts(ecs, []));
    expect(outcome.refused).toBe('no');
    expect(ecs.calls).not.toContain('updateService prod/web');
  });

  it('an unknown service selector is a usage error, and the session is closed', async () => {
    const { service, definition } = webAt('1');
    const ecs = new MemoryEcs([service], [definition]);
    await expect(runRollout({ ...request, services: ['api'] }, rolloutPorts(ecs, []))).rejects.toThrow(/no such service/);
    expect(ecs.calls.at(-1)).toBe('close');
  });
});

describe('webhook jobs against a fake ECS', () => {
  const config: WebhookConfig = {
    tokenSha256: 'x',
    repositories: ['docker.io/acme/web'],
    policy: { kind: 'any' },
    clusters: [],
    strategy: 'rolling',
    timeoutSeconds: 60,
    pollIntervalSeconds: 1,
  };

  it('runJob rolls the push out with the install settings and logs its end', async () => {
    const { service, definition } = webAt('1');
    const ecs = new MemoryEcs([service], [definition]);
    const lines: Record<string, unknown>[] = [];
    const result = await runJob(
      { image: 'acme/web:2', pushedAt: 1 },
      config,
      { ...rolloutPorts(ecs, []), clock: instantClock },
      (line) => lines.push(line),
      { env: {} },
    );
    expect(result?.ok).toBe(true);
    expect(lines.at(-1)).toMatchObject({ event: 'job-finished', ok: true, services: [{ cluster: 'prod', service: 'web', outcome: 'completed' }] });
  });

  it('startPush refuses a repository outside the allow-list before any call', async () => {
    const ecs = new MemoryEcs([], []);
    const lines: Record<string, unknown>[] = [];
    const outcome = await startPush(
      { image: 'acme/api:2', pushedAt: 1 },
      config,
      { ...rolloutPorts(ecs, []), ecs },
      (line) => lines.push(line),
      async () => {},
    );
    expect(outcome).toBe('refused');
    expect(ecs.calls).toEqual([]);
  });

  it('startPush starts the rollout and hands its deployment to the follow queue', async () => {
    const { service, definition } = webAt('1');
    const ecs = new MemoryEcs([service], [definition]);
    const sent: unknown[] = [];
    const outcome = await startPush(
      { image: 'acme/web:2', pushedAt: 1 },
      config,
      { ...rolloutPorts(ecs, []), ecs },
      () => {},
      async (job) => {
        sent.push(job);
      },
    );
    expect(outcome).toBe('following');
    expect(sent).toMatchObject([{ kind: 'follow', phase: 'rollout', services: [{ cluster: 'prod', service: 'web', state: 'pending' }] }]);
  });
});

describe('scale against a fake ECS', () => {
  function reporter(lines: string[], ends: unknown[]): ScaleReporter {
    return {
      autoscaling: (label, note) => lines.push(`autoscaling ${label} ${note.min}..${note.max} outside=${note.outside}`),
      decision: (label, decision) => lines.push(`decision ${label} ${decision.from}->${decision.to}`),
      event: () => {},
      finished: (document) => ends.push(document),
    };
  }
  const scaleRequest = {
    service: 'web',
    adjustment: { kind: 'exact' as const, count: 5 },
    updateAutoscaling: false,
    dryRun: false,
    wait: true,
    timeoutMs: 60_000,
    pollIntervalMs: 1,
  };

  it('finds the service, changes only its count and reports the versioned document', async () => {
    const { service, definition } = webAt('1');
    const ecs = new MemoryEcs([service], [definition]);
    const lines: string[] = [];
    const ends: unknown[] = [];
    const autoscaling = {
      scalableTarget: async () => ({ resourceId: 'service/prod/web', minCapacity: 1, maxCapacity: 3 }),
      setBounds: async () => {},
    };
    const result = await runScale(scaleRequest, { ecs, autoscaling, clock: instantClock, report: reporter(lines, ends) });
    expect(result?.ok).toBe(true);
    expect(ecs.services[0]?.desiredCount).toBe(5);
    expect(lines).toEqual(['autoscaling prod/web 1..3 outside=true', 'decision prod/web 2->5']);
    expect(ends).toEqual([
      expect.objectContaining({
        kind: 'scale-result',
        version: 1,
        from: 2,
        to: 5,
        outcome: 'completed',
        autoscaling: expect.objectContaining({ outside: true, updatedTo: null }),
      }),
    ]);
  });

  it('a DAEMON service is refused before anything changes', async () => {
    const { service, definition } = webAt('1');
    const ecs = new MemoryEcs([{ ...service, schedulingStrategy: 'DAEMON' }], [definition]);
    const autoscaling = { scalableTarget: async () => undefined, setBounds: async () => {} };
    await expect(runScale(scaleRequest, { ecs, autoscaling, clock: instantClock, report: reporter([], []) })).rejects.toThrow(/DAEMON/);
    expect(ecs.calls).toEqual(['listClusterArns']);
  });
});

describe('status against a fake ECS', () => {
  it('says where each tag of the image runs, once without --watch', async () => {
    const one = webAt('1', 'web', 'prod');
    const two = webAt('2', 'api', 'staging');
    const ecs = new MemoryEcs([one.service, two.service], [one.definition, two.definition]);
    const shown: StatusDocument[] = [];
    const code = await runStatus(
      { image: parseImageReference('acme/web'), clusters: [clusterArnOf('prod'), 'staging'], watch: false, pollIntervalMs: 1 },
      { clock: instantClock, ecs: () => ecs, show: (document) => shown.push(document) },
    );
    expect(code).toBe(0);
    expect(shown).toHaveLength(1);
    expect(shown[0]?.groups.map((group) => [group.version, group.services.map((service) => service.service)])).toEqual([
      ['1', ['web']],
      ['2', ['api']],
    ]);
  });
});

describe('webhook status against fake queues and log', () => {
  it('counts each queue, peeks at dead letters and reads the finished rollouts', async () => {
    const { readWebhookStatus } = await import('../../src/app/webhook-status.js');
    const urls: Record<string, string> = { 'ecs-roll-pushes.fifo': 'q/pushes', 'ecs-roll-pushes-dead.fifo': 'q/dead' };
    const status = await readWebhookStatus('ecs-roll', {
      clock: instantClock,
      queueUrl: async (name) => urls[name],
      queueCounts: async (url) => (url === 'q/pushes' ? { waiting: 2, inFlight: 1, delayed: 0 } : { waiting: 1, inFlight: 0, delayed: 0 }),
      peek: async (url) =>
        url === 'q/dead' ? [{ MessageId: 'm1', Body: JSON.stringify({ image: 'acme/web:2', pushedAt: 5 }), Attributes: { SentTimestamp: '0' } }] : [],
      finishedLines: async () => [
        { message: JSON.stringify({ event: 'job-finished', time: 't', job: 'acme/web:2', ok: true, services: [] }) },
        { message: 'not ours' },
      ],
    });
    expect(status).toMatchObject({ kind: 'webhook-status', version: 1, name: 'ecs-roll' });
    expect(status.deadLetters).toEqual([
      { queue: 'ecs-roll-pushes-dead.fifo', messageId: 'm1', sentAt: new Date(0).toISOString(), image: 'acme/web:2', pushedAt: 5 },
    ]);
    expect(status.recent).toEqual([{ time: 't', image: 'acme/web:2', ok: true, services: [] }]);
  });

  it('names the alarm of a dead-lettered alarm re-check note, and shows a foreign body as text', async () => {
    const { readWebhookStatus } = await import('../../src/app/webhook-status.js');
    const { renderWebhookStatus } = await import('../../src/cli/commands/webhook-status.js');
    const { Chalk } = await import('chalk');
    const note = { kind: 'alarm-recheck', version: 1, alarmName: 'web-cpu-high', scaledAt: 100, notBefore: 400 };
    const status = await readWebhookStatus('ecs-roll', {
      clock: instantClock,
      queueUrl: async (name) => (name === 'ecs-roll-follow-dead' ? 'q/follow-dead' : undefined),
      queueCounts: async () => ({ waiting: 2, inFlight: 0, delayed: 0 }),
      peek: async () => [
        { MessageId: 'm1', Body: JSON.stringify(note) },
        { MessageId: 'm2', Body: 'not json' },
      ],
      finishedLines: async () => [],
    });
    expect(status.deadLetters).toEqual([
      { queue: 'ecs-roll-follow-dead', messageId: 'm1', kind: 'alarm-recheck', alarm: 'web-cpu-high' },
      { queue: 'ecs-roll-follow-dead', messageId: 'm2', body: 'not json' },
    ]);
    const text = renderWebhookStatus(status, new Chalk({ level: 0 }));
    expect(text).toContain('ecs-roll-follow-dead m1: alarm re-check of web-cpu-high');
    expect(text).toContain('ecs-roll-follow-dead m2: "not json"');
  });
});
