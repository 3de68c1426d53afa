import { describe, expect, it } from 'vitest';
import { planRollout, PUSHED_AT_TAG } from '../../src/core/plan.js';
import { parsePolicy, policyRejectsUpgrade } from '../../src/core/policy.js';
import { aContainer, anObservedState, aRequest, aService, aTaskDefinition, taskDefinitionArnOf } from './builders.js';

function stateRunning(image: string, tags: { key: string; value: string }[] = []) {
  const definition = aTaskDefinition({ family: 'web', revision: 4, containers: [aContainer({ name: 'web', image })], tags });
  return anObservedState([aService({ serviceName: 'web', taskDefinitionArn: taskDefinitionArnOf('web', 4) })], [definition]);
}

describe('planRollout for webhook pushes', () => {
  it('records the push time on the revision it registers, replacing an older record', () => {
    const plan = planRollout(stateRunning('acme/web:1.0', [{ key: 'team', value: 'a' }, { key: PUSHED_AT_TAG, value: '100' }]), {
      ...aRequest('acme/web:1.1'),
      pushedAt: 200,
    });
    expect(plan.registrations[0]?.input.tags).toEqual([{ key: 'team', value: 'a' }, { key: PUSHED_AT_TAG, value: '200' }]);
  });

  it.each([
    [150, 'skip'],
    [200, 'skip'],
    [201, 'update'],
  ])('a push at %i against a service last changed by the push at 200 is %s', (pushedAt, action) => {
    const plan = planRollout(stateRunning('acme/web:1.3', [{ key: PUSHED_AT_TAG, value: '200' }]), { ...aRequest('acme/web:1.2'), pushedAt });
    expect(plan.services[0]?.action).toBe(action);
    if (action === 'skip') {
      expect(plan.services[0]?.reason).toMatch(/not newer/);
      expect(plan.registrations).toEqual([]);
    }
  });

  it.each([
    [undefined, 300, 'redeploy'],
    ['200', 300, 'redeploy'],
    ['300', 300, 'none'],
    ['400', 300, 'none'],
  ])('a push of the running mutable tag, recorded %s, pushed at %i: %s', (recorded, pushedAt, action) => {
    const plan = planRollout(stateRunning('acme/web:latest', recorded === undefined ? [] : [{ key: PUSHED_AT_TAG, value: recorded }]), {
      ...aRequest('acme/web:latest'),
      pushedAt,
    });
    expect(plan.services[0]?.action).toBe(action);
    expect(plan.registrations).toEqual([]);
  });

  it('a CLI rollout of the running tag (no push time) changes nothing without --force', () => {
    expect(planRollout(stateRunning('acme/web:latest'), aRequest('acme/web:latest')).services[0]?.action).toBe('none');
  });

  it('treats a duplicate push as a no-op, not as stale', () => {
    const plan = planRollout(stateRunning('acme/web:1.3', [{ key: PUSHED_AT_TAG, value: '200' }]), { ...aRequest('acme/web:1.3'), pushedAt: 200 });
    expect(plan.services[0]?.action).toBe('none');
  });

  it('under the semver policy moves only upwards', () => {
    const semver = parsePolicy('semver');
    expect(planRollout(stateRunning('acme/web:1.4.2'), { ...aRequest('acme/web:1.5.0'), policy: semver }).services[0]?.action).toBe('update');
    const down = planRollout(stateRunning('acme/web:1.4.2'), { ...aRequest('acme/web:1.3.9'), policy: semver }).services[0];
    expect(down?.action).toBe('skip');
    expect(down?.reason).toMatch(/not higher/);
    expect(planRollout(stateRunning('acme/web:latest'), { ...aRequest('acme/web:1.5.0'), policy: semver }).services[0]?.action).toBe('skip');
  });
});

describe('policyRejectsUpgrade', () => {
  it.each([
    ['any', '1.0', 'whatever', undefined],
    ['semver', '1.2.3', '1.2.4', undefined],
    ['semver', '1.2.3', 'v1.10.0', undefined],
    ['semver', '1.10.0', '1.9.0', 'not higher'],
    ['semver', '1.2.3', '1.2.3', 'not higher'],
    ['semver', '1.2.3', '1.3.0-rc.1', undefined],
    ['semver', '1.2.3', 'latest', 'not a semantic version'],
    ['match:release-*', 'release-1', 'release-2', undefined],
    ['match:release-*', 'release-1', 'feature-2', 'does not match'],
  ])('%s from %s to %s', (policy, running, tag, expected) => {
    const reason = policyRejectsUpgrade(parsePolicy(policy), running, tag);
    if (expected === undefined) expect(reason).toBeUndefined();
    else expect(reason).toContain(expected);
  });

  it('refuses an unknown policy as a usage error', () => {
    expect(() => parsePolicy('match:')).toThrow(/policy/);
    expect(() => parsePolicy('newest')).toThrow(/policy/);
  });
});
