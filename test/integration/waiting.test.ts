// What `rollout` does after it has updated the services: waiting for the deployments those
// updates created, failing and rolling back, the replace strategy, --force, --no-wait, and how
// often it polls. Each test runs the built CLI against the sandbox and checks the outcome
// through the ECS API and the sandbox's own record of ticks and calls.
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  type CreateServiceCommandInput,
  type Deployment,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { describe, expect } from 'vitest';
import { it, sandboxFile } from './fixtures.js';
import type { RecordEntry, SandboxCall } from '../sandbox/client.js';
import { addContainerInstance } from '../sandbox/ec2.js';
import { eventuallyWith } from '../eventually.js';
import { container, createCluster, createService, imagesOf, registerTaskDefinition, revisionCount, runCli, type CliRun } from './helpers.js';

const { endpoint, sandbox, ecs } = sandboxFile();
it.override({ sandboxConfig: { tick: 0.1 } });

/** The CLI against the sandbox, polling fast (allowed because of --endpoint-url). */
const rollout = (args: string[], pollInterval = '0.3'): Promise<CliRun> =>
  runCli(['rollout', ...args, '--poll-interval', pollInterval, '--endpoint-url', endpoint]);

interface JsonService {
  cluster: string;
  service: string;
  action: string;
  outcome: string;
  reason?: string;
  oldTaskDefinitionArn: string;
  newTaskDefinitionArn: string | null;
  deploymentId?: string;
}

interface JsonResult {
  kind: string;
  ok: boolean;
  registrations: { family: string; from: string; to: string }[];
  services: JsonService[];
}

/** stdout must be exactly one JSON document. */
function parseResult(run: CliRun): JsonResult {
  const result = JSON.parse(run.stdout) as JsonResult;
  expect(result.kind).toBe('rollout-result');
  return result;
}

function serviceResult(result: JsonResult, service: string): JsonService {
  const found = result.services.find((entry) => entry.service === service);
  if (found === undefined) throw new Error(`no result for ${service} in ${JSON.stringify(result)}`);
  return found;
}

async function describeService(cluster: string, service: string): Promise<Service> {
  const answer = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
  const found = answer.services?.[0];
  if (found === undefined) throw new Error(`${cluster}/${service} not found`);
  return found;
}

function primaryOf(service: Service): Deployment {
  const found = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
  if (found === undefined) throw new Error(`${service.serviceName} has no PRIMARY deployment`);
  return found;
}

/** The service's tasks with desired status RUNNING. */
async function liveTasks(cluster: string, service: string): Promise<Task[]> {
  const arns = (await ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus: 'RUNNING' }))).taskArns ?? [];
  if (arns.length === 0) return [];
  return (await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? [];
}

const waitFor = eventuallyWith({ ms: 15_000, every: 50 });

/** Until the service has one COMPLETED deployment and all desired tasks run: the state a rollout starts from. */
function steady(cluster: string, service: string): Promise<Service> {
  return waitFor(`${cluster}/${service} to be steady`, async () => {
    const described = await describeService(cluster, service);
    const deployments = described.deployments ?? [];
    return deployments.length === 1 && deployments[0]?.rolloutState === 'COMPLETED' && described.runningCount === described.desiredCount
      ? described
      : undefined;
  });
}

async function steadyService(
  cluster: string,
  name: string,
  taskDefinition: string,
  extra: Partial<CreateServiceCommandInput> = {},
): Promise<Service> {
  await createService(ecs, cluster, name, taskDefinition, extra);
  return steady(cluster, name);
}

/** Calls after the last call of `action` (none when there was no such call). */
function callsAfterLast(calls: readonly SandboxCall[], action: string): SandboxCall[] {
  const last = calls.map((call) => call.action).lastIndexOf(action);
  return last === -1 ? [] : calls.slice(last + 1);
}

const BREAKER_WITH_ROLLBACK: Partial<CreateServiceCommandInput> = {
  deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
};

describe('rollout waits for the deployments it created', () => {
  it('exits 0 only once the deployment the update created is COMPLETED, with every task on the new revision', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    // One extra task at a time (max 4 of 3), a tick of 0.25 s: a deployment takes 4 ticks, about 1 s,
    // well after the CLI's first poll (0.3 s), so a CLI that stopped at the first look would be caught.
    const slow: Partial<CreateServiceCommandInput> = {
      desiredCount: 3,
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 134 },
    };
    const before = primaryOf(await steadyService('prod', 'web', source, slow));
    await sandbox.config({ tick: 0.25 });

    const run = await rollout(['acme/web:1.1']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    // Right after exit: the deployment the update created (named in the output) is COMPLETED.
    const deploymentId = /updated prod\/web: web:1 → web:2 \(deployment (ecs-svc\/\d+)\)/.exec(run.stdout)?.[1];
    expect(deploymentId, run.stdout).toBeDefined();
    expect(deploymentId).not.toBe(before.id);
    const after = await describeService('prod', 'web');
    expect(after.taskDefinition).toMatch(/task-definition\/web:2$/);
    expect(after.deployments).toEqual([
      expect.objectContaining({ id: deploymentId, status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: after.taskDefinition }),
    ]);
    expect(after.runningCount).toBe(3);
    const tasks = await liveTasks('prod', 'web');
    expect(tasks).toHaveLength(3);
    for (const task of tasks) {
      expect(task).toMatchObject({ lastStatus: 'RUNNING', taskDefinitionArn: after.taskDefinition, startedBy: deploymentId });
    }
    expect(await imagesOf(ecs, after.taskDefinition ?? '')).toEqual({ web: 'acme/web:1.1' });

    // The scheduler had the deployment IN_PROGRESS for a while: the CLI did wait, and saw it finish.
    const rows = (await sandbox.record()).filter((row) => row.service === 'web' && row.primaryTaskDefinition === after.taskDefinition);
    expect(rows.some((row) => row.primaryRolloutState === 'IN_PROGRESS')).toBe(true);
    expect(rows.some((row) => row.primaryRolloutState === 'COMPLETED')).toBe(true);

    // Not a terminal: plain progress lines instead of a spinner, then the completion.
    expect(run.stdout).not.toMatch(/\u001b\[/);
    expect(run.stdout).toMatch(/^ {2}prod\/web: [0-2]\/3 running on the new revision.* \(IN_PROGRESS\)$/m);
    expect(run.stdout).toMatch(/^ {2}prod\/web: 3\/3 running on the new revision \(COMPLETED\)$/m);
    // Half of --timeout 900: the other half is kept for a rollback's wait.
    expect(run.stdout).toContain('Waiting for deployments: 1 service, timeout 900 s');
    // The completion line ("✔ prod/web …", not a rollback's "is back on its previous revision") follows the progress.
    const completedAt = run.stdout.search(/^✔ prod\/web (?!is back on)/m);
    expect(completedAt, run.stdout).toBeGreaterThan(run.stdout.indexOf('running on the new revision'));
    expect(run.stdout).toMatch(/Done: 1 deployed\n$/);

    // --json: one document, the outcome and the deployment to follow.
    const json = await rollout(['acme/web:1.2', '--json']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const result = parseResult(json);
    expect(result.ok).toBe(true);
    const web = serviceResult(result, 'web');
    expect(web).toMatchObject({ cluster: 'prod', outcome: 'completed', oldTaskDefinitionArn: after.taskDefinition });
    expect(web.newTaskDefinitionArn).toMatch(/task-definition\/web:3$/);
    expect(web.deploymentId).toMatch(/^ecs-svc\/\d+$/);
    expect(web.deploymentId).not.toBe(deploymentId);
    const third = await describeService('prod', 'web');
    expect(third.deployments).toEqual([
      expect.objectContaining({ id: web.deploymentId, rolloutState: 'COMPLETED', taskDefinition: web.newTaskDefinitionArn }),
    ]);
    expect((await liveTasks('prod', 'web')).map((task) => task.taskDefinitionArn)).toEqual(Array(3).fill(web.newTaskDefinitionArn));
  });

  it('fails on a broken image the circuit breaker stops, and puts every service it changed back', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    // api has the circuit breaker (ECS rolls it back itself); worker has ECS's defaults, so only ecs-roll can.
    await steadyService('prod', 'api', source, { desiredCount: 2, ...BREAKER_WITH_ROLLBACK });
    await steadyService('prod', 'worker', source, { desiredCount: 2 });
    await sandbox.clearCalls();

    const run = await rollout(['acme/web:broken-1.2', '--json', '--timeout', '4']);
    expect(run.code).toBe(1);
    const result = parseResult(run);
    expect(result.ok).toBe(false);
    expect(result.services.map((service) => service.outcome)).toEqual(['rolled-back', 'rolled-back']);
    const broken = result.registrations[0]?.to;
    expect(broken).toMatch(/task-definition\/web:2$/);

    // The output names what failed and says where each service was put back.
    const api = serviceResult(result, 'api');
    expect(api.newTaskDefinitionArn).toBe(broken);
    expect(api.reason).toMatch(/circuit breaker: tasks failed to start|deployment ecs-svc\/\d+ is gone/);
    expect(api.reason).toMatch(/rolled back to web:1$/);
    const worker = serviceResult(result, 'worker');
    expect(worker.reason).toMatch(/^the deployment did not finish within 2 s; rolled back to web:1$/);

    // Through the API: both on their previous revision, that deployment finished, every task on it.
    for (const name of ['api', 'worker']) {
      const service = await describeService('prod', name);
      expect(service.taskDefinition, name).toBe(source);
      expect(service.deployments, name).toEqual([expect.objectContaining({ taskDefinition: source, rolloutState: 'COMPLETED' })]);
      const tasks = await liveTasks('prod', name);
      expect(
        tasks.map((task) => task.taskDefinitionArn),
        name,
      ).toEqual([source, source]);
    }
    // ecs-roll's own rollback of worker is an UpdateService back to web:1 after the two of the rollout.
    const updates = (await sandbox.calls()).filter((call) => call.action === 'UpdateService');
    expect(updates.length).toBeGreaterThanOrEqual(3);

    // The plain output says the same to a person.
    await sandbox.reset();
    await sandbox.config({ tick: 0.1 });
    await createCluster(ecs, 'prod');
    const again = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await steadyService('prod', 'api', again, { desiredCount: 2, ...BREAKER_WITH_ROLLBACK });
    await steadyService('prod', 'worker', again, { desiredCount: 2 });
    const plain = await rollout(['acme/web:broken-1.2', '--timeout', '4']);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toMatch(/✖ prod\/api failed: (ECS deployment circuit breaker: tasks failed to start|deployment ecs-svc\/\d+ is gone)/);
    expect(plain.stdout).toContain('Rolling back 2 services this run changed');
    expect(plain.stdout).toMatch(/rolled back prod\/api: .*rolled back to web:1/);
    expect(plain.stdout).toMatch(/rolled back prod\/worker: .*rolled back to web:1/);
    expect(plain.stdout).toMatch(/Rollout failed: 2 rolled back\n$/);
    expect(plain.stdout).not.toContain('Done:');
    expect(plain.stdout).not.toMatch(/^✔ prod\/\w+ (?!is back on)/m); // no rollout completion, only rollbacks
  });

  it('times out on a broken image without the circuit breaker, rolls back, and waits for the rollback', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    const original: Record<string, string | undefined> = {};
    for (const name of ['a', 'b']) original[name] = primaryOf(await steadyService('prod', name, source, { desiredCount: 2 })).id;
    await sandbox.clearCalls();

    const started = Date.now();
    const run = await rollout(['acme/web:broken-1.2', '--json', '--timeout', '4']);
    // --timeout bounds the whole run, rollback included: half of it for the deployment, half for putting it back.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(run.code).toBe(1);
    const result = parseResult(run);
    expect(result.ok).toBe(false);
    for (const name of ['a', 'b']) {
      const entry = serviceResult(result, name);
      expect(entry.outcome, name).toBe('rolled-back');
      expect(entry.reason, name).toMatch(/^the deployment did not finish within 2 s; rolled back to web:1$/);

      const service = await describeService('prod', name);
      expect(service.taskDefinition, name).toBe(source);
      const rollback = primaryOf(service);
      // A new deployment, neither the broken one nor the one the service had before, and it finished.
      expect(rollback.id, name).not.toBe(entry.deploymentId);
      expect(rollback.id, name).not.toBe(original[name]);
      expect(service.deployments, name).toEqual([expect.objectContaining({ id: rollback.id, taskDefinition: source, rolloutState: 'COMPLETED' })]);
      expect(
        (await liveTasks('prod', name)).map((task) => task.taskDefinitionArn),
        name,
      ).toEqual([source, source]);
    }
    const updates = (await sandbox.calls()).filter((call) => call.action === 'UpdateService');
    expect(updates).toHaveLength(4);
  });

  it('leaves the services on the broken revision with --no-rollback, and still exits 1', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    for (const name of ['a', 'b']) await steadyService('prod', name, source, { desiredCount: 2 });
    await sandbox.clearCalls();

    const run = await rollout(['acme/web:broken-1.2', '--timeout', '3', '--no-rollback']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/TIMED OUT prod\/a: the deployment did not finish within 3 s/);
    expect(run.stdout).toMatch(/TIMED OUT prod\/b: the deployment did not finish within 3 s/);
    expect(run.stdout).toMatch(/Rollout failed: 2 TIMED OUT\n$/);
    expect(run.stdout).not.toContain('Rolling back');

    for (const name of ['a', 'b']) {
      const service = await describeService('prod', name);
      expect(service.taskDefinition, name).toMatch(/task-definition\/web:2$/);
      expect(await imagesOf(ecs, service.taskDefinition ?? ''), name).toEqual({ web: 'acme/web:broken-1.2' });
      expect(primaryOf(service), name).toMatchObject({ taskDefinition: service.taskDefinition, rolloutState: 'IN_PROGRESS' });
    }
    expect((await sandbox.calls()).filter((call) => call.action === 'UpdateService')).toHaveLength(2);
  });
});

describe('--strategy replace on an EC2 cluster with no room for one more task', () => {
  const CLUSTER = 'ec2';
  const DESIRED = 4;
  // A plain container instance has 4096 CPU units and 7482 MiB: exactly four of these fit, not five.
  const CPU = 1024;
  const MEMORY = 1870;

  async function setUp(): Promise<string> {
    expect(DESIRED * CPU).toBeLessThanOrEqual(4096);
    expect((DESIRED + 1) * CPU).toBeGreaterThan(4096);
    expect(DESIRED * MEMORY).toBeLessThanOrEqual(7482);
    expect((DESIRED + 1) * MEMORY).toBeGreaterThan(7482);
    await createCluster(ecs, CLUSTER);
    await addContainerInstance(ecs, endpoint, CLUSTER);
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')], {
      cpu: String(CPU),
      memory: String(MEMORY),
    });
    await steadyService(CLUSTER, 'web', source, {
      desiredCount: DESIRED,
      launchType: 'EC2',
      deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 200 },
    });
    const tasks = await liveTasks(CLUSTER, 'web');
    expect(tasks).toHaveLength(DESIRED);
    expect(tasks.every((task) => task.containerInstanceArn !== undefined)).toBe(true);
    return source;
  }

  it("is stuck with the rolling strategy until --timeout, naming ECS's placement event; replace finishes without dropping below the healthy floor", async () => {
    const source = await setUp();
    const started = Date.now();
    const stuck = await rollout(['acme/web:1.1', '--json', '--timeout', '3', '--no-rollback']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(stuck.code).toBe(1);
    const stuckResult = serviceResult(parseResult(stuck), 'web');
    expect(stuckResult.outcome).toBe('timed-out');
    expect(stuckResult.reason).toMatch(
      /^the deployment did not finish within 3 s; ECS says: \(service web\) was unable to place a task because no container instance met all of its requirements\./,
    );
    const stuckService = await describeService(CLUSTER, 'web');
    expect(primaryOf(stuckService)).toMatchObject({ id: stuckResult.deploymentId, rolloutState: 'IN_PROGRESS', runningCount: 0 });
    expect((await liveTasks(CLUSTER, 'web')).map((task) => task.taskDefinitionArn)).toEqual(Array(DESIRED).fill(source));

    await sandbox.reset();
    await sandbox.config({ tick: 0.1 });
    await setUp();
    await sandbox.clearCalls();

    const run = await rollout(['acme/web:1.1', '--json', '--timeout', '30', '--strategy', 'replace']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const web = serviceResult(parseResult(run), 'web');
    expect(web.outcome).toBe('completed');
    const target = web.newTaskDefinitionArn ?? '';
    expect(target).toMatch(/task-definition\/web:2$/);

    const service = await describeService(CLUSTER, 'web');
    expect(service.deployments).toEqual([expect.objectContaining({ id: web.deploymentId, taskDefinition: target, rolloutState: 'COMPLETED' })]);
    const tasks = await liveTasks(CLUSTER, 'web');
    expect(tasks.map((task) => task.taskDefinitionArn)).toEqual(Array(DESIRED).fill(target));
    expect(tasks.every((task) => task.lastStatus === 'RUNNING')).toBe(true);

    // ECS alone could not have done it: ecs-roll stopped each old task once.
    const stops = (await sandbox.calls()).filter((call) => call.action === 'StopTask');
    expect(stops).toHaveLength(DESIRED);

    // At no tick of the rollout did the service run fewer than ceil(desired * 50 %) tasks.
    const floor = Math.ceil((DESIRED * 50) / 100);
    const rows: RecordEntry[] = (await sandbox.record()).filter(
      (row) => row.cluster === CLUSTER && row.service === 'web' && row.primaryTaskDefinition === target,
    );
    expect(rows.length).toBeGreaterThan(2);
    for (const row of rows) {
      expect(row.desired, `tick ${row.tick}`).toBe(DESIRED);
      expect(row.running, `tick ${row.tick}`).toBeGreaterThanOrEqual(floor);
    }
    expect(rows.at(-1)).toMatchObject({ running: DESIRED, runningPrimary: DESIRED, primaryRolloutState: 'COMPLETED' });
  });
});

describe('--force and --no-wait', () => {
  it('--force redeploys a service already on the tag: same revision, a new deployment that completes', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.1')]);
    const before = primaryOf(await steadyService('prod', 'web', source, { desiredCount: 2 }));
    const oldTasks = (await liveTasks('prod', 'web')).map((task) => task.taskArn);
    await sandbox.clearCalls();

    const run = await rollout(['acme/web:1.1', '--force', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const web = serviceResult(parseResult(run), 'web');
    expect(web).toMatchObject({ action: 'redeploy', outcome: 'completed', oldTaskDefinitionArn: source, newTaskDefinitionArn: source });
    expect(web.deploymentId).toMatch(/^ecs-svc\/\d+$/);
    expect(web.deploymentId).not.toBe(before.id);

    expect(await revisionCount(ecs, 'web')).toBe(1);
    expect((await sandbox.calls()).filter((call) => call.action === 'RegisterTaskDefinition')).toEqual([]);
    const service = await describeService('prod', 'web');
    expect(service.taskDefinition).toBe(source);
    expect(service.deployments).toEqual([expect.objectContaining({ id: web.deploymentId, taskDefinition: source, rolloutState: 'COMPLETED' })]);
    const tasks = await liveTasks('prod', 'web');
    expect(tasks).toHaveLength(2);
    for (const task of tasks) {
      expect(oldTasks).not.toContain(task.taskArn);
      expect(task).toMatchObject({ startedBy: web.deploymentId, taskDefinitionArn: source, lastStatus: 'RUNNING' });
    }
  });

  it('--no-wait returns once the services are updated, without polling', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    for (const name of ['a', 'b']) await steadyService('prod', name, source, { desiredCount: 2 });
    await sandbox.config({ paused: true });
    await sandbox.clearCalls();

    const run = await rollout(['acme/web:1.1', '--no-wait', '--json']);
    // Read the call log before this test's own DescribeServices add to it.
    const calls = await sandbox.calls();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = parseResult(run);
    expect(result.ok).toBe(true);

    expect(calls.filter((call) => call.action === 'UpdateService')).toHaveLength(2);
    expect(callsAfterLast(calls, 'UpdateService').map((call) => call.action)).toEqual([]);

    for (const name of ['a', 'b']) {
      const entry = serviceResult(result, name);
      expect(entry.outcome, name).toBe('updated');
      const service = await describeService('prod', name);
      expect(service.taskDefinition, name).toBe(entry.newTaskDefinitionArn);
      expect(primaryOf(service), name).toMatchObject({
        id: entry.deploymentId,
        taskDefinition: entry.newTaskDefinitionArn,
        rolloutState: 'IN_PROGRESS',
      });
    }
  });
});

describe('polling', () => {
  it('polls every --poll-interval with one DescribeServices per ten pending services', async () => {
    const CLUSTER = 'many';
    await createCluster(ecs, CLUSTER);
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    // Three groups that need 2, 3 and 4 scheduler ticks to complete a deployment, so the
    // number of pending services shrinks round by round: 23, 23, 15, 6.
    const groups: { size: number; config: Partial<CreateServiceCommandInput> }[] = [
      { size: 8, config: { desiredCount: 1 } },
      { size: 9, config: { desiredCount: 2, deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 100 } } },
      { size: 6, config: { desiredCount: 3, deploymentConfiguration: { minimumHealthyPercent: 66, maximumPercent: 100 } } },
    ];
    const names: string[] = [];
    for (const [index, group] of groups.entries()) {
      for (let i = 0; i < group.size; i += 1) {
        const name = `svc-${index}-${i}`;
        names.push(name);
        await createService(ecs, CLUSTER, name, source, group.config);
      }
    }
    expect(names).toHaveLength(23);
    for (const name of names) await steady(CLUSTER, name);
    // From here the scheduler only ticks when this test says so, between poll rounds.
    await sandbox.config({ paused: true });
    await sandbox.clearCalls();

    const running = rollout(['acme/web:1.1', '--json', '--timeout', '30'], '1');
    try {
      const describesAfterUpdates = async (count: number) =>
        waitFor(`${count} DescribeServices after the updates`, async () => {
          const calls = await sandbox.calls();
          if (calls.filter((call) => call.action === 'UpdateService').length < names.length) return undefined;
          const after = callsAfterLast(calls, 'UpdateService').filter((call) => call.action === 'DescribeServices');
          return after.length >= count ? true : undefined;
        });
      await describesAfterUpdates(3); // round 1 saw nothing move
      await sandbox.tick();
      await sandbox.tick(); // the first group completes
      await describesAfterUpdates(6); // round 2
      await sandbox.tick(); // the second group completes
      await describesAfterUpdates(8); // round 3
      await sandbox.tick(); // the third group completes
    } finally {
      await sandbox.config({ paused: false });
    }
    const run = await running;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = parseResult(run);
    expect(result.services.map((service) => service.outcome)).toEqual(Array(23).fill('completed'));

    const calls = await sandbox.calls();
    const firstRegistration = calls.findIndex((call) => call.action === 'RegisterTaskDefinition');
    expect(firstRegistration).toBeGreaterThan(0);
    const discovery = calls.slice(0, firstRegistration);
    expect(discovery.filter((call) => call.action === 'DescribeServices')).toHaveLength(Math.ceil(23 / 10));
    expect(discovery.filter((call) => call.action === 'ListServices')).toHaveLength(1);

    const updates = calls.filter((call) => call.action === 'UpdateService');
    expect(updates).toHaveLength(23);
    const lastUpdate = updates.at(-1)?.t ?? 0;
    const polls = callsAfterLast(calls, 'UpdateService').filter((call) => call.action === 'DescribeServices');
    expect(polls.every((call) => call.cluster?.endsWith(CLUSTER))).toBe(true);

    // Group the polls into rounds by the gaps between them.
    const rounds: SandboxCall[][] = [];
    for (const call of polls) {
      const current = rounds.at(-1);
      const previous = current?.at(-1);
      if (current !== undefined && previous !== undefined && call.t - previous.t < 0.5) current.push(call);
      else rounds.push([call]);
    }
    expect(rounds.map((round) => round.length)).toEqual([3, 3, 2, 1]);
    const starts = rounds.map((round) => round[0]?.t ?? 0);
    expect(starts[0]! - lastUpdate).toBeGreaterThanOrEqual(0.95);
    for (let k = 1; k < starts.length; k += 1) expect(starts[k]! - starts[k - 1]!, `round ${k + 1}`).toBeGreaterThanOrEqual(0.95);

    // And from the scheduler's record: each round described exactly the services that earlier rounds
    // had not yet seen completed, ten to a call.
    const target = result.registrations[0]?.to;
    const record = await sandbox.record();
    const completedAt = new Map<string, number>();
    for (const row of record) {
      if (
        row.cluster === CLUSTER &&
        row.primaryTaskDefinition === target &&
        row.primaryRolloutState === 'COMPLETED' &&
        !completedAt.has(row.service)
      ) {
        completedAt.set(row.service, row.t);
      }
    }
    expect(completedAt.size).toBe(23);
    rounds.forEach((round, k) => {
      const seenDone = k === 0 ? 0 : names.filter((name) => (completedAt.get(name) ?? Infinity) < starts[k - 1]!).length;
      expect(round.length, `round ${k + 1}`).toBe(Math.ceil((23 - seenDone) / 10));
    });
  });
});
