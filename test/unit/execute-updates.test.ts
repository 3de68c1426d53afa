// executeRollout registers each new revision once, then points every service at it (see execute-scenario.ts).
import { describe, expect, it } from 'vitest';
import type { RegisterTaskDefinitionInput } from '../../src/core/task-definition.js';
import { clusterArnOf, taskDefinitionArnOf } from './builders.js';
import { outcomeOf, scenario, updateRequests } from './execute-scenario.js';

describe('executeRollout: registering and updating', () => {
  it('registers each planned registration exactly once, before any service is updated', async () => {
    const { ecs, plan, run } = scenario([
      { name: 'web', family: 'web' },
      { name: 'web-canary', family: 'web' },
      { name: 'api', family: 'api' },
    ]);
    expect(plan.registrations).toHaveLength(2);
    const result = await run();

    const registrations = ecs.callsTo('registerTaskDefinition').map((call) => call.args[0] as RegisterTaskDefinitionInput);
    expect(registrations.map((input) => input.family).sort()).toEqual(['api', 'web']);
    expect(registrations.every((input) => input.containerDefinitions[0]?.image === 'nginx:2')).toBe(true);
    const firstUpdate = ecs.calls.findIndex((call) => call.method === 'updateService');
    const lastRegistration = ecs.calls.findLastIndex((call) => call.method === 'registerTaskDefinition');
    expect(lastRegistration).toBeLessThan(firstUpdate);
    expect(result.registrations).toEqual(
      expect.arrayContaining([
        { family: 'web', from: taskDefinitionArnOf('web', 1), to: taskDefinitionArnOf('web', 2) },
        { family: 'api', from: taskDefinitionArnOf('api', 1), to: taskDefinitionArnOf('api', 2) },
      ]),
    );
    expect(result.registrations).toHaveLength(2);
  });

  it('points each service at its new revision and records the deployment id UpdateService answered with', async () => {
    const { ecs, run } = scenario([
      { name: 'web', family: 'web' },
      { name: 'web-canary', family: 'web' },
      { name: 'api', family: 'api', cluster: 'staging' },
    ]);
    const result = await run();

    expect(updateRequests(ecs).sort((a, b) => a.service.localeCompare(b.service))).toEqual([
      { cluster: clusterArnOf('staging'), service: 'api', taskDefinitionArn: taskDefinitionArnOf('api', 2) },
      { cluster: clusterArnOf('prod'), service: 'web', taskDefinitionArn: taskDefinitionArnOf('web', 2) },
      { cluster: clusterArnOf('prod'), service: 'web-canary', taskDefinitionArn: taskDefinitionArnOf('web', 2) },
    ]);
    expect(result.ok).toBe(true);
    expect(result.version).toBe(2);
    for (const outcome of result.services) {
      const fake = ecs.service(clusterArnOf(outcome.cluster), outcome.service);
      expect(outcome.outcome).toBe('completed');
      expect(outcome.deploymentId).toBe(fake.snapshot.deployments[0]?.id);
      expect(outcome.deploymentId).toMatch(/^ecs-svc\/\d{19}$/);
      expect(outcome.oldTaskDefinitionArn).toBe(taskDefinitionArnOf(outcome.service === 'api' ? 'api' : 'web', 1));
      expect(outcome.newTaskDefinitionArn).toBe(taskDefinitionArnOf(outcome.service === 'api' ? 'api' : 'web', 2));
    }
    // Distinct deployments, one per service.
    expect(new Set(result.services.map((outcome) => outcome.deploymentId)).size).toBe(3);
  });

  it('with wait false answers updated without describing or sleeping', async () => {
    const { ecs, clock, run } = scenario([{ name: 'web' }, { name: 'api' }]);
    const result = await run({ wait: false });
    expect(result.services.map((outcome) => outcome.outcome)).toEqual(['updated', 'updated']);
    expect(result.ok).toBe(true);
    expect(ecs.callsTo('describeServices')).toEqual([]);
    expect(clock.sleeps).toEqual([]);
    expect(result.services.every((outcome) => outcome.deploymentId !== undefined)).toBe(true);
  });

  it('leaves unchanged and skipped services alone and reports them as such', async () => {
    const { ecs, run } = scenario([{ name: 'web' }, { name: 'current', image: 'nginx:2' }]);
    const result = await run();
    expect(outcomeOf(result, 'current').outcome).toBe('unchanged');
    expect(updateRequests(ecs).map((request) => request.service)).toEqual(['web']);
    expect(result.ok).toBe(true);
  });

  it('redeploys services already on the target with forceNewDeployment and the same revision', async () => {
    const { ecs, run } = scenario([{ name: 'current', image: 'nginx:2' }], { force: true });
    const result = await run();
    expect(ecs.callsTo('registerTaskDefinition')).toEqual([]);
    expect(updateRequests(ecs)).toEqual([
      { cluster: clusterArnOf('prod'), service: 'current', taskDefinitionArn: taskDefinitionArnOf('current', 1), forceNewDeployment: true },
    ]);
    expect(outcomeOf(result, 'current').outcome).toBe('completed');
  });

  it('a refused registration changes no service: no UpdateService at all, every service not-started', async () => {
    const { ecs, run } = scenario([{ name: 'web' }, { name: 'api' }, { name: 'worker' }]);
    ecs.failRegistrationOf.add('api');
    const result = await run({ concurrency: 1 });
    expect(ecs.callsTo('updateService')).toEqual([]);
    expect(ecs.callsTo('describeServices')).toEqual([]);
    expect(result.ok).toBe(false);
    for (const outcome of result.services) {
      expect(outcome.outcome).toBe('not-started');
      expect(outcome.reason).toContain('too many revisions of api');
      expect(outcome.newTaskDefinitionArn).toBeUndefined();
    }
  });

  it('an UpdateService refusal fails that service and rolls back the others', async () => {
    const { ecs, run } = scenario([{ name: 'api' }, { name: 'web' }]);
    ecs.failUpdateOf.add('web');
    const result = await run();
    expect(outcomeOf(result, 'web')).toMatchObject({ outcome: 'failed' });
    expect(outcomeOf(result, 'web').reason).toContain('AccessDeniedException');
    expect(outcomeOf(result, 'api').outcome).toBe('rolled-back');
    expect(result.ok).toBe(false);
  });
});
