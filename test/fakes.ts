// The hand-written test doubles the unit tests share: a clock that moves only when the code under test sleeps,
// ECS at the executor's EcsPort seam, the ECS SDK client (a recorder that answers from a table of handlers),
// the one-off task runner of --run-before, and (in fakes-scale-policy.ts) CloudWatch alarms with ECS service tags
// for `scale policy`. Each stands in where a unit test must script AWS exactly (the sandbox covers its real
// behaviour in the integration tests); each file that uses one says why.
import { ECSClient } from '@aws-sdk/client-ecs';
import { DESCRIBE_SERVICES_MAX_NAMES } from '../src/core/limits.js';
import type { DeploymentSnapshot, ServiceDeploymentSnapshot, ServiceSnapshot, TaskDefinitionSnapshot, TaskSnapshot } from '../src/core/model.js';
import type { Clock, EcsPort, UpdateServiceRequest } from '../src/core/ports.js';
import type { RunTaskState } from '../src/core/run-diagnosis.js';
import type { RunTaskRequest, TaskRunPort } from '../src/core/run-step.js';
import type { RegisterTaskDefinitionInput } from '../src/core/task-definition.js';
import { aTask, aTaskDefinition, taskDefinitionArnOf } from './unit/builders.js';

export { awsError, FakePolicyAws } from './fakes-scale-policy.js';

/** TEST DOUBLE for time: sleeping advances now() at once (unless `advance` is off) and records how long was asked for. */
export class FakeClock implements Clock {
  time: number;
  readonly sleeps: number[] = [];
  onSleep: ((count: number) => void) | undefined;
  private readonly advance: boolean;
  private readonly tick: number;

  /** `start`: the first now() (default 0); `advance`: sleeping moves time (default true); `tick`: each now() moves time this much (default 0). */
  constructor(options: { start?: number; advance?: boolean; tick?: number } = {}) {
    this.time = options.start ?? 0;
    this.advance = options.advance ?? true;
    this.tick = options.tick ?? 0;
  }

  now(): number {
    this.time += this.tick;
    return this.time;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) return;
    if (this.advance) this.time += ms;
    this.onSleep?.(this.sleeps.length);
  }
}

/** What ECS does with the next deployment of a service, once it has been polled `pollsToSettle` times. */
export type Script =
  | 'complete'
  /** rolloutState FAILED, as the deployment circuit breaker reports it. */
  | 'fail'
  /** Stays IN_PROGRESS and writes an "unable to place a task" event. */
  | 'stuck'
  /** The deployment disappears and the service is back on the previous revision (ECS rolled it back). */
  | 'vanish';

export const PLACEMENT_EVENT =
  '(service web) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster.';
export const CIRCUIT_BREAKER = 'ECS deployment circuit breaker: tasks failed to start.';

export interface FakeService {
  snapshot: ServiceSnapshot;
  scripts: Script[];
  pollsToSettle: number;
  polls: number;
  script: Script;
  /** Present when the fake runs tasks (for the replace strategy): ECS's scheduler in miniature. */
  tasks?: TaskSnapshot[];
}

export interface Call {
  readonly method: keyof EcsPort;
  readonly args: readonly unknown[];
  /** How many sleeps the clock had seen when the call was made: the poll the call belongs to. */
  readonly poll: number;
}

/**
 * TEST DOUBLE. An in-memory stand-in for ECS at the `EcsPort` seam, because this is a unit test of
 * the executor: it checks the executor's own decisions (what it calls, how often, what it reports)
 * against ECS behaviour each test scripts explicitly. It is not an ECS emulator and models only
 * deployments (and, for the replace strategy, a tiny task scheduler); the sandbox tests cover real
 * ECS semantics. Every call is recorded with the poll it belongs to.
 */
export class FakeEcs implements EcsPort {
  readonly calls: Call[] = [];
  readonly services = new Map<string, FakeService>();
  readonly failRegistrationOf = new Set<string>();
  readonly failUpdateOf = new Set<string>();
  /** Fewest RUNNING tasks left in a service right after a StopTask. */
  readonly lowestRunningAfterStop = new Map<string, number>();
  private readonly revisions = new Map<string, number>();
  private deploymentSequence = 0;
  private taskSequence = 0;

  constructor(private readonly clock: FakeClock) {}

  add(snapshot: ServiceSnapshot, options: { scripts?: Script[]; pollsToSettle?: number; runTasks?: boolean } = {}): void {
    this.services.set(this.key(snapshot.clusterArn, snapshot.serviceName), {
      snapshot,
      scripts: [...(options.scripts ?? [])],
      pollsToSettle: options.pollsToSettle ?? 1,
      polls: 0,
      script: 'complete',
      ...(options.runTasks
        ? {
            tasks: Array.from({ length: snapshot.desiredCount }, (_, index) =>
              aTask({
                id: `${snapshot.serviceName}-old-${index}`,
                taskDefinitionArn: snapshot.taskDefinitionArn,
                group: `service:${snapshot.serviceName}`,
                startedAt: new Date(Date.UTC(2026, 0, 1, 0, index)).toISOString(),
              }),
            ),
          }
        : {}),
    });
  }

  callsTo(method: keyof EcsPort): Call[] {
    return this.calls.filter((call) => call.method === method);
  }

  service(cluster: string, name: string): FakeService {
    const found = this.services.get(this.key(cluster, name));
    if (found === undefined) throw new Error(`fake ECS has no service ${name} in ${cluster}`);
    return found;
  }

  async registerTaskDefinition(input: RegisterTaskDefinitionInput): Promise<{ taskDefinitionArn: string }> {
    this.record('registerTaskDefinition', [input]);
    if (this.failRegistrationOf.has(input.family)) throw new Error(`ClientException: too many revisions of ${input.family}`);
    const revision = (this.revisions.get(input.family) ?? 1) + 1;
    this.revisions.set(input.family, revision);
    return { taskDefinitionArn: taskDefinitionArnOf(input.family, revision) };
  }

  /** Registrations are not kept as full definitions here, so no newest revision is ever identical. */
  async latestTaskDefinition(family: string): Promise<TaskDefinitionSnapshot | undefined> {
    this.record('latestTaskDefinition', [family]);
    return undefined;
  }

  async describeTaskDefinition(taskDefinition: string): Promise<TaskDefinitionSnapshot> {
    this.record('describeTaskDefinition', [taskDefinition]);
    // Every revision here is the builder's plain one: no container health check, no tags.
    const [family = '', revision = '1'] = taskDefinition.slice(taskDefinition.lastIndexOf('/') + 1).split(':');
    return aTaskDefinition({ family, revision: Number(revision) });
  }

  async updateService(request: UpdateServiceRequest): Promise<ServiceSnapshot> {
    this.record('updateService', [request]);
    if (this.failUpdateOf.has(request.service)) throw new Error('AccessDeniedException: not allowed');
    const fake = this.service(request.cluster, request.service);
    const taskDefinitionArn = request.taskDefinitionArn ?? fake.snapshot.taskDefinitionArn;
    this.deploymentSequence += 1;
    const deployment: DeploymentSnapshot = {
      id: `ecs-svc/${String(this.deploymentSequence).padStart(19, '0')}`,
      status: 'PRIMARY',
      taskDefinitionArn,
      desiredCount: fake.snapshot.desiredCount,
      runningCount: 0,
      pendingCount: 0,
      failedTasks: 0,
      rolloutState: 'IN_PROGRESS',
    };
    fake.script = fake.scripts.shift() ?? 'complete';
    fake.polls = 0;
    fake.snapshot = {
      ...fake.snapshot,
      taskDefinitionArn,
      deployments: [deployment, ...fake.snapshot.deployments.map((previous) => ({ ...previous, status: 'ACTIVE' }))],
    };
    return fake.snapshot;
  }

  async describeServices(cluster: string, services: readonly string[]): Promise<ServiceSnapshot[]> {
    this.record('describeServices', [cluster, [...services]]);
    if (services.length > DESCRIBE_SERVICES_MAX_NAMES) throw new RangeError('DescribeServices takes at most 10 services');
    return services.flatMap((name) => {
      const fake = this.services.get(this.key(cluster, name));
      if (fake === undefined) return [];
      this.advance(fake);
      return [fake.snapshot];
    });
  }

  async listServiceTasks(cluster: string, service: string): Promise<TaskSnapshot[]> {
    this.record('listServiceTasks', [cluster, service]);
    return [...(this.service(cluster, service).tasks ?? [])];
  }

  /** For staged services: the stage ECS reports, and ROLLBACK_SUCCESSFUL once a 'vanish' script has rolled it back. */
  async latestServiceDeployment(cluster: string, service: string): Promise<ServiceDeploymentSnapshot | undefined> {
    this.record('latestServiceDeployment', [cluster, service]);
    const fake = this.service(cluster, service);
    const rolledBack = fake.script === 'vanish' && fake.polls >= fake.pollsToSettle;
    return rolledBack
      ? { arn: 'sd/1', status: 'ROLLBACK_SUCCESSFUL', lifecycleStage: 'BAKE_TIME', rollbackReason: 'alarm web-5xx is in ALARM state' }
      : { arn: 'sd/1', status: 'IN_PROGRESS', lifecycleStage: 'BAKE_TIME' };
  }

  async stopTask(cluster: string, taskArn: string, reason: string): Promise<void> {
    this.record('stopTask', [cluster, taskArn, reason]);
    for (const fake of this.services.values()) {
      if (fake.snapshot.clusterArn !== cluster || fake.tasks === undefined) continue;
      const before = fake.tasks.length;
      fake.tasks = fake.tasks.filter((task) => task.taskArn !== taskArn);
      if (fake.tasks.length === before) continue;
      const running = fake.tasks.filter((task) => task.lastStatus === 'RUNNING').length;
      const name = fake.snapshot.serviceName;
      this.lowestRunningAfterStop.set(name, Math.min(this.lowestRunningAfterStop.get(name) ?? Infinity, running));
      return;
    }
    throw new Error(`InvalidParameterException: no task ${taskArn}`);
  }

  /** One poll's worth of ECS progress for this service. */
  private advance(fake: FakeService): void {
    const primary = fake.snapshot.deployments.find((deployment) => deployment.status === 'PRIMARY');
    if (primary === undefined || primary.rolloutState !== 'IN_PROGRESS') return;
    fake.polls += 1;
    if (fake.tasks !== undefined) this.schedule(fake, primary);
    const current = fake.snapshot.deployments.find((deployment) => deployment.status === 'PRIMARY');
    if (current?.rolloutState !== 'IN_PROGRESS' || fake.polls < fake.pollsToSettle) return;

    const others = fake.snapshot.deployments.filter((deployment) => deployment !== current);
    switch (fake.script) {
      case 'complete':
        this.setDeployments(fake, [{ ...current, rolloutState: 'COMPLETED', runningCount: current.desiredCount }]);
        return;
      case 'fail':
        this.setDeployments(fake, [{ ...current, rolloutState: 'FAILED', rolloutStateReason: CIRCUIT_BREAKER, failedTasks: 3 }, ...others]);
        return;
      case 'stuck':
        fake.snapshot = { ...fake.snapshot, events: [{ message: PLACEMENT_EVENT, createdAt: '2026-01-01T00:00:00.000Z' }] };
        return;
      case 'vanish': {
        const previous = others[0];
        if (previous === undefined) throw new Error('nothing to roll back to');
        this.setDeployments(fake, [{ ...previous, status: 'PRIMARY', rolloutState: 'COMPLETED' }]);
        fake.snapshot = { ...fake.snapshot, taskDefinitionArn: previous.taskDefinitionArn, runningCount: fake.snapshot.desiredCount };
        return;
      }
    }
  }

  /** Starting tasks come up; missing ones are started on the primary revision; all-new-and-running completes. */
  private schedule(fake: FakeService, primary: DeploymentSnapshot): void {
    const tasks = (fake.tasks ?? []).map((task) =>
      task.lastStatus === 'PENDING' ? { ...task, lastStatus: 'RUNNING', startedAt: new Date(this.clock.now()).toISOString() } : task,
    );
    while (tasks.length < fake.snapshot.desiredCount) {
      this.taskSequence += 1;
      const { startedAt: _notYet, ...pending } = aTask({
        id: `${fake.snapshot.serviceName}-new-${this.taskSequence}`,
        taskDefinitionArn: primary.taskDefinitionArn,
        lastStatus: 'PENDING',
        group: `service:${fake.snapshot.serviceName}`,
      });
      tasks.push(pending);
    }
    fake.tasks = tasks;
    const onPrimary = tasks.filter((task) => task.taskDefinitionArn === primary.taskDefinitionArn && task.lastStatus === 'RUNNING');
    const done = onPrimary.length === tasks.length && onPrimary.length === fake.snapshot.desiredCount;
    this.setDeployments(
      fake,
      done
        ? [{ ...primary, runningCount: onPrimary.length, rolloutState: 'COMPLETED' }]
        : fake.snapshot.deployments.map((deployment) => (deployment === primary ? { ...primary, runningCount: onPrimary.length } : deployment)),
    );
    fake.snapshot = { ...fake.snapshot, runningCount: tasks.filter((task) => task.lastStatus === 'RUNNING').length };
  }

  private setDeployments(fake: FakeService, deployments: DeploymentSnapshot[]): void {
    fake.snapshot = { ...fake.snapshot, deployments };
  }

  private record(method: keyof EcsPort, args: readonly unknown[]): void {
    this.calls.push({ method, args, poll: this.clock.sleeps.length });
  }

  private key(cluster: string, service: string): string {
    return `${cluster}\u0000${service}`;
  }
}

export type SdkInput = Record<string, unknown>;
export type SdkHandler = (input: SdkInput) => unknown;

export interface SentCommand {
  readonly name: string;
  readonly input: SdkInput;
}

/** TEST DOUBLE for ECSClient: records every command and answers from `handlers` by command class name. */
export class FakeEcsClient {
  readonly sent: SentCommand[] = [];
  constructor(private readonly handlers: Record<string, SdkHandler>) {}

  async send(command: { readonly input: unknown }): Promise<unknown> {
    const name = command.constructor.name;
    const input = command.input as SdkInput;
    // A copy: a paginator sends the same input object again with the next token.
    this.sent.push({ name, input: { ...input } });
    const handler = this.handlers[name];
    if (handler === undefined) throw new Error(`the fake client has no answer for ${name}`);
    return handler(input);
  }

  named(name: string): SdkInput[] {
    return this.sent.filter((sent) => sent.name === name).map((sent) => sent.input);
  }
}
// The SDK's paginators accept only an ECSClient, so the double answers `instanceof ECSClient` (its own send stays).
Object.setPrototypeOf(FakeEcsClient.prototype, ECSClient.prototype);
/**
 * ECS in memory: each task runs for `polls` DescribeTasks and then stops with the exit code its command names
 * (`exit=N`); `earlier` are tasks a previous run left.
 */
export function fakeTaskRunner(options: { earlier?: RunTaskState[]; polls?: number; failures?: boolean } = {}) {
  const started: RunTaskRequest[] = [];
  const stopped: string[] = [];
  const tasks = new Map<string, { state: RunTaskState; polls: number; exit: number }>();
  for (const task of options.earlier ?? []) tasks.set(task.taskArn, { state: task, polls: 1, exit: 0 });
  const port: TaskRunPort = {
    async runTask(request) {
      started.push(request);
      if (options.failures) return { failures: [{ arn: 'arn:ci/1', reason: 'RESOURCE:MEMORY' }] };
      const state: RunTaskState = {
        taskArn: `arn:task/prod/${started.length}`,
        lastStatus: 'PROVISIONING',
        containers: [{ name: 'app' }],
        tags: [...request.tags],
      };
      const exit = Number(request.command.find((word) => word.startsWith('exit='))?.slice(5) ?? 0);
      tasks.set(state.taskArn, { state, polls: options.polls ?? 2, exit });
      return { task: state, failures: [] };
    },
    async describeTask(_cluster, taskArn) {
      const entry = tasks.get(taskArn);
      if (entry === undefined) return undefined;
      if (entry.state.lastStatus !== 'STOPPED') {
        entry.polls -= 1;
        entry.state =
          entry.polls > 0
            ? { ...entry.state, lastStatus: 'RUNNING' }
            : { ...entry.state, lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited', containers: [{ name: 'app', exitCode: entry.exit }] };
      }
      return entry.state;
    },
    async findTasks(_cluster, _startedBy, tags) {
      return [...tasks.values()]
        .map((entry) => entry.state)
        .filter((task) => tags.every((tag) => task.tags.some((own) => own.key === tag.key && own.value === tag.value)));
    },
    async stopTask(_cluster, taskArn) {
      stopped.push(taskArn);
      const entry = tasks.get(taskArn);
      if (entry !== undefined)
        entry.state = { ...entry.state, lastStatus: 'STOPPED', stopCode: 'UserInitiated', containers: [{ name: 'app', exitCode: 143 }] };
    },
    async logTail() {
      return ['last line'];
    },
  };
  return { port, started, stopped };
}
