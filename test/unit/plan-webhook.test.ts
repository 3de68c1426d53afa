import { describe, expect, it } from 'vitest';
import { planRollout, PUSHED_AT_TAG } from '../../src/core/plan.js';
import { parsePolicy, policyRejectsUpgrade } from '../../src/core/update-policy.js';
import { aContainer, anObservedState, aRequest, aService, aTaskDefinition, taskDefinitionArnOf } from './builders.js';

function stateRunning(image: string, tags: { key: string; value: string }[] = []) {
  const definition = aTaskDefinition({ family: 'web', revision: 4, containers: [aContainer({ name: 'web', image })], tags });
  return anObservedState([aService({ serviceName: 'web', taskDefinitionArn: taskDefinitionArnOf('web', 4) })], [definition]);
}

describe('planRollout for webhook pushes', () => {
  const WEB = 'docker.io/acme/web';
  const webTag = (seconds: number) => ({ key: 'ecs-roll:pushed-at:web', value: `${seconds} ${WEB}` });
  const push = (image: string, pushedAt: number) => ({ ...aRequest(image), pushedAt, respectPushOrder: true, now: 10_000 });

  it('records the push time per container and repository on the revision it registers, replacing the older records', () => {
    const plan = planRollout(
      stateRunning('acme/web:1.0', [{ key: 'team', value: 'a' }, { key: PUSHED_AT_TAG, value: '100' }, webTag(100)]),
      push('acme/web:1.1', 200),
    );
    expect(plan.registrations[0]?.input.tags).toEqual([{ key: 'team', value: 'a' }, { key: PUSHED_AT_TAG, value: '200' }, webTag(200)]);
  });

  it.each([
    [150, 'skip'],
    [201, 'update'],
  ])('a push at %i against a container set by the push at 200 is %s', (pushedAt, action) => {
    const plan = planRollout(stateRunning('acme/web:1.3', [webTag(200)]), push('acme/web:1.2', pushedAt));
    expect(plan.services[0]?.action).toBe(action);
    if (action === 'skip') {
      expect(plan.services[0]?.skipKind).toBe('older-push');
      expect(plan.services[0]?.reason).toMatch(/older than the push \(200\)/);
      expect(plan.registrations).toEqual([]);
    }
  });

  it('still reads the revision-wide tag of revisions registered before per-container tags', () => {
    const plan = planRollout(stateRunning('acme/web:1.3', [{ key: PUSHED_AT_TAG, value: '200' }]), push('acme/web:1.2', 150));
    expect(plan.services[0]?.skipKind).toBe('older-push');
  });

  it.each([
    ['a later semver tag wins', '1.3.0', '1.4.0', 'update'],
    ['a lower semver tag loses', '1.4.0', '1.3.0', 'skip'],
    ['without versions, the later arrival wins', 'main', 'feature-x', 'update'],
  ])('on a tie in the same second: %s', (_, running, pushed, action) => {
    const plan = planRollout(stateRunning(`acme/web:${running}`, [webTag(200)]), push(`acme/web:${pushed}`, 200));
    expect(plan.services[0]?.action).toBe(action);
  });

  it('orders an app and its sidecar independently: a sidecar push is not compared with the app push', () => {
    const definition = aTaskDefinition({
      family: 'web',
      revision: 4,
      containers: [aContainer({ name: 'web', image: 'acme/web:2.0' }), aContainer({ name: 'proxy', image: 'acme/proxy:1.0' })],
      // The app was pushed at 300; the sidecar's own push, at 299, arrives afterwards.
      tags: [webTag(300), { key: 'ecs-roll:pushed-at:proxy', value: '100 docker.io/acme/proxy' }],
    });
    const state = anObservedState([aService({ serviceName: 'web', taskDefinitionArn: taskDefinitionArnOf('web', 4) })], [definition]);
    const plan = planRollout(state, push('acme/proxy:1.1', 299));
    expect(plan.services[0]?.action).toBe('update');
    expect(plan.registrations[0]?.input.tags).toContainEqual({ key: 'ecs-roll:pushed-at:proxy', value: '299 docker.io/acme/proxy' });
    expect(plan.registrations[0]?.input.tags).toContainEqual(webTag(300));
  });

  it('does not trust a recorded push time from the future: a later real push still applies', () => {
    const plan = planRollout(stateRunning('acme/web:1.3', [webTag(4_000_000_000)]), push('acme/web:1.4', 9_000));
    expect(plan.services[0]?.action).toBe('update');
  });

  it('never holds the CLI back by a recorded push time, however late', () => {
    const plan = planRollout(stateRunning('acme/web:1.3', [webTag(4_000_000_000), { key: PUSHED_AT_TAG, value: '4000000000' }]), {
      ...aRequest('acme/web:1.2'),
      pushedAt: 9_000.5,
    });
    expect(plan.services[0]?.action).toBe('update');
  });

  it.each([
    [undefined, 300, 'redeploy'],
    [200, 300, 'redeploy'],
    [300, 300, 'none'],
    [400, 300, 'none'],
  ])('a push of the running mutable tag, recorded %s, pushed at %i: %s', (recorded, pushedAt, action) => {
    const plan = planRollout(stateRunning('acme/web:latest', recorded === undefined ? [] : [webTag(recorded)]), push('acme/web:latest', pushedAt));
    expect(plan.services[0]?.action).toBe(action);
    expect(plan.registrations).toEqual([]);
  });

  it('a CLI rollout of the running tag changes nothing without --force, whatever push time it records', () => {
    expect(planRollout(stateRunning('acme/web:latest'), aRequest('acme/web:latest')).services[0]?.action).toBe('none');
    expect(planRollout(stateRunning('acme/web:latest', [webTag(100)]), { ...aRequest('acme/web:latest'), pushedAt: 200 }).services[0]?.action).toBe(
      'none',
    );
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
    const unversioned = planRollout(stateRunning('acme/web:latest'), { ...aRequest('acme/web:1.5.0'), policy: semver }).services[0];
    expect(unversioned?.action).toBe('skip');
    expect(unversioned?.skipKind).toBe('policy');
    expect(unversioned?.reason).toMatch(/latest is not a semantic version.*put the service on a version once/);
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
