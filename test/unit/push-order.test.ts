import { describe, expect, it } from 'vitest';
import { comparePush, containerPushTag, containerPushTagKey, MAX_CLOCK_SKEW_SECONDS, recordedContainerPush } from '../../src/core/push-order.js';
import { PUSHED_AT_TAG } from '../../src/core/task-definition.js';
import { aTaskDefinition } from './builders.js';

const NOW = 1_800_000_000;

describe('comparePush', () => {
  it.each([
    ['nothing recorded', 100, undefined, '1.0.0', '0.9.0', true],
    ['a later push', 101, 100, 'a', 'b', true],
    ['an earlier push', 99, 100, 'a', 'b', false],
    ['a tie, both versions, pushed higher', 100, 100, '1.2.0', '1.1.9', true],
    ['a tie, both versions, pushed lower', 100, 100, '1.1.9', '1.2.0', false],
    ['a tie, both versions, equal', 100, 100, 'v1.2.0', '1.2.0', false],
    ['a tie, one not a version: later arrival wins', 100, 100, 'latest', '1.2.0', true],
    ['a tie, neither a version: later arrival wins', 100, 100, 'main', 'develop', true],
    ['a recorded time within the skew still counts', 100, NOW + MAX_CLOCK_SKEW_SECONDS, 'a', 'b', false],
    ['a recorded time beyond the skew is ignored', 100, NOW + MAX_CLOCK_SKEW_SECONDS + 1, 'a', 'b', true],
  ])('%s', (_, pushedAt, recorded, tag, runningTag, apply) => {
    expect(comparePush({ pushedAt, recorded, tag, runningTag, now: NOW }).apply).toBe(apply);
  });

  it('says why it ignored a recorded time from the future', () => {
    const verdict = comparePush({ pushedAt: 100, recorded: 4_000_000_000, tag: 'a', runningTag: 'b', now: NOW });
    expect(verdict).toEqual({ apply: true, note: expect.stringContaining('ahead of this clock') });
  });
});

describe('per-container push tags', () => {
  it('keys a long container name by its hash, within the 128-character tag key limit', () => {
    expect(containerPushTagKey('web')).toBe('ecs-roll:pushed-at:web');
    const long = containerPushTagKey('c'.repeat(255));
    expect(long.length).toBeLessThanOrEqual(128);
    expect(long).toMatch(/^ecs-roll:pushed-at:sha256=[0-9a-f]{24}$/);
  });

  it.each([
    ['its own tag', [containerPushTag('web', 'docker.io/acme/web', 300)], 'web', 'docker.io/acme/web', 300],
    ["not another container's", [containerPushTag('proxy', 'docker.io/acme/proxy', 300)], 'web', 'docker.io/acme/web', undefined],
    ['not a time recorded for another repository', [containerPushTag('web', 'docker.io/acme/old', 300)], 'web', 'docker.io/acme/web', undefined],
    ['the old revision-wide tag when there is no per-container one', [{ key: PUSHED_AT_TAG, value: '250' }], 'web', 'docker.io/acme/web', 250],
    [
      'not the revision-wide tag once per-container tags exist',
      [{ key: PUSHED_AT_TAG, value: '250' }, containerPushTag('proxy', 'docker.io/acme/proxy', 300)],
      'web',
      'docker.io/acme/web',
      undefined,
    ],
  ])('reads %s', (_, tags, container, repository, expected) => {
    expect(recordedContainerPush(aTaskDefinition({ tags }), container, repository)?.seconds).toBe(expected);
  });
});
