// `rollout` on a broken image: it fails, rolls back every service it changed and waits for the rollback
// (or, with --no-rollback, leaves them be), within --timeout. Each test runs the built CLI against the sandbox.
import type { CreateServiceCommandInput } from '@aws-sdk/client-ecs';
import { describe, expect } from 'vitest';
import { it } from './fixtures.js';
import { container, createCluster, imagesOf, registerTaskDefinition } from './helpers.js';
import { describeService, ecs, liveTasks, parseResult, primaryOf, rollout, sandbox, serviceResult, steadyService } from './waiting-world.js';

it.override({ sandboxConfig: { tick: 0.1 } });

const BREAKER_WITH_ROLLBACK: Partial<CreateServiceCommandInput> = {
  deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
};

describe('rollout waits for the deployments it created', () => {
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
    // FAILED when a poll saw it, or gone with ECS's record of it when the rollback was done before the next poll.
    expect(api.reason).toMatch(/circuit breaker: tasks failed to start/);
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
    expect(plain.stdout).toMatch(
      /✖ prod\/api failed: (deployment ecs-svc\/\d+ failed and ECS rolled it back \(ROLLBACK_\w+\): )?ECS deployment circuit breaker: tasks failed to start/,
    );
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
