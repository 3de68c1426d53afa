// The events executeRollout emits, in order, for the CLI, serve and the Lambda worker to render.
import { describe, expect, it } from 'vitest';
import type { RolloutEvent } from '../../src/core/events.js';
import { taskDefinitionArnOf } from './builders.js';
import { outcomeOf, scenario } from './execute-scenario.js';

describe('executeRollout: events', () => {
  it('emits registered, then service-updated, then wait-started, then service-completed', async () => {
    const { events, run } = scenario([{ name: 'web' }, { name: 'api', pollsToSettle: 2 }]);
    await run();
    const types = events.map((event) => event.type);
    const first = (type: RolloutEvent['type']) => types.indexOf(type);
    const last = (type: RolloutEvent['type']) => types.lastIndexOf(type);
    expect(last('registered')).toBeLessThan(first('service-updated'));
    expect(last('service-updated')).toBeLessThan(first('wait-started'));
    expect(last('wait-started')).toBeLessThan(first('service-completed'));
    expect(types.filter((type) => type === 'registered')).toHaveLength(2);
    expect(types.filter((type) => type === 'service-completed')).toHaveLength(2);
    expect(events.find((event) => event.type === 'wait-started')).toEqual({
      type: 'wait-started',
      services: 2,
      timeoutSeconds: 900,
      phase: 'rollout',
    });
    for (const service of ['web', 'api']) {
      const ofService = events.filter((event) => 'service' in event && event.service === service).map((event) => event.type);
      expect(ofService[0]).toBe('service-updated');
      expect(ofService.at(-1)).toBe('service-completed');
    }
  });

  it('service-updated carries the revisions and the deployment id', async () => {
    const { events, run } = scenario([{ name: 'web' }]);
    const result = await run();
    expect(events.find((event) => event.type === 'service-updated')).toEqual({
      type: 'service-updated',
      cluster: 'prod',
      service: 'web',
      from: taskDefinitionArnOf('web', 1),
      to: taskDefinitionArnOf('web', 2),
      forced: false,
      deploymentId: outcomeOf(result, 'web').deploymentId,
    });
  });

  it('emits progress only when it changes', async () => {
    const { events, run } = scenario([{ name: 'web', pollsToSettle: 4 }]);
    await run();
    const progress = events.filter((event) => event.type === 'progress');
    // IN_PROGRESS with 0 running for three polls, then COMPLETED: two distinct states.
    expect(progress).toHaveLength(2);
  });
});
