import { describe, expect, it } from 'vitest';
import { noticesFromWorkerLog } from '../../src/core/worker-notices.js';

const push = { job: 'acme/web:1.2', pushedAt: 1764500000 };

describe('noticesFromWorkerLog', () => {
  const cases: [string, Record<string, unknown>, unknown][] = [
    [
      'a push the policy ignores',
      { ...push, event: 'job-ignored', reason: 'tag 1.2-rc1 is not semver' },
      {
        operation: 'rollout',
        outcome: 'ignored',
        source: 'webhook',
        image: 'acme/web:1.2',
        pushedAt: 1764500000,
        reason: 'tag 1.2-rc1 is not semver',
        services: [],
      },
    ],
    [
      'a push rolled back before, not applied again',
      { ...push, event: 'job-finished', ok: false, outcome: 'ignored', reason: 'was rolled back', services: [] },
      expect.objectContaining({ outcome: 'ignored', reason: 'was rolled back' }),
    ],
    [
      'a rollout handed to the follow queue',
      { ...push, event: 'job-following', services: [{ cluster: 'prod', service: 'web', deploymentId: 'ecs-svc/1' }] },
      {
        operation: 'rollout',
        outcome: 'started',
        source: 'webhook',
        image: 'acme/web:1.2',
        pushedAt: 1764500000,
        services: [{ cluster: 'prod', service: 'web' }],
      },
    ],
    [
      'a followed rollout that completed',
      {
        ...push,
        phase: 'rollout',
        event: 'job-finished',
        ok: true,
        looks: 3,
        services: [
          { cluster: 'prod', service: 'web', outcome: 'completed' },
          { cluster: 'prod', service: 'api', outcome: 'superseded' },
        ],
      },
      expect.objectContaining({ outcome: 'completed', services: [{ cluster: 'prod', service: 'web', outcome: 'completed' }] }),
    ],
    [
      'a failure with the diagnosis cause',
      {
        ...push,
        level: 'error',
        event: 'rollout-failed',
        reason: 'prod/web failed',
        services: [{ cluster: 'prod', service: 'web', reason: 'circuit breaker', cause: 'essential-container-exited' }],
      },
      expect.objectContaining({
        outcome: 'failed',
        services: [{ cluster: 'prod', service: 'web', reason: 'circuit breaker', cause: 'essential-container-exited' }],
      }),
    ],
    [
      'the rollback that followed',
      {
        ...push,
        phase: 'rollback',
        event: 'job-finished',
        ok: false,
        services: [{ cluster: 'prod', service: 'web', outcome: 'rolled-back', reason: 'x; rolled back to web:1' }],
      },
      expect.objectContaining({
        outcome: 'rolled-back',
        services: [{ cluster: 'prod', service: 'web', outcome: 'rolled-back', reason: 'x; rolled back to web:1' }],
      }),
    ],
    [
      'a push that moved nothing because the policy skipped every service',
      {
        ...push,
        event: 'job-finished',
        ok: true,
        services: [{ cluster: 'prod', service: 'web', outcome: 'skipped', reason: 'policy semver: 1.2 is older' }],
      },
      expect.objectContaining({
        outcome: 'ignored',
        reason: 'prod/web: policy semver: 1.2 is older',
        services: [{ cluster: 'prod', service: 'web', outcome: 'skipped', reason: 'policy semver: 1.2 is older' }],
      }),
    ],
    [
      'a push no service runs',
      { ...push, event: 'job-finished', ok: true, services: [] },
      expect.objectContaining({ outcome: 'completed', services: [] }),
    ],
    [
      'a start that failed',
      { ...push, event: 'job-finished', ok: false, services: [{ cluster: 'prod', service: 'web', outcome: 'failed', reason: 'AccessDenied' }] },
      expect.objectContaining({ outcome: 'failed' }),
    ],
    [
      'an error the worker caught',
      { job: 'acme/web:1.2', event: 'job-failed', message: 'boom', exitCode: 1 },
      expect.objectContaining({ outcome: 'failed', reason: 'boom' }),
    ],
    [
      'an alarm that scaled',
      { event: 'alarm', decision: 'acted', alarm: 'cpu-high', cluster: 'prod', service: 'web', from: 2, to: 4 },
      {
        operation: 'scale',
        outcome: 'completed',
        source: 'alarm',
        alarm: 'cpu-high',
        services: [{ cluster: 'prod', service: 'web', desiredCount: { from: 2, to: 4 } }],
      },
    ],
    [
      'an alarm clamped at a bound',
      { event: 'alarm', decision: 'clamped', alarm: 'a', cluster: 'prod', service: 'web', from: 8, to: 10, bound: 'max' },
      expect.objectContaining({ operation: 'scale', outcome: 'completed' }),
    ],
    [
      'an alarm in cooldown',
      { event: 'alarm', decision: 'in-cooldown', alarm: 'a', cluster: 'prod', service: 'web', remaining: 120 },
      expect.objectContaining({ outcome: 'ignored', reason: 'in its cooldown (120 s left)' }),
    ],
    [
      'an alarm at its bound',
      { event: 'alarm', decision: 'at-bound', alarm: 'a', cluster: 'prod', service: 'web', count: 10, bound: 'max' },
      expect.objectContaining({ outcome: 'ignored', reason: 'already at its max of 10 tasks' }),
    ],
    [
      'a failed scale',
      { event: 'alarm', decision: 'failed', alarm: 'a', cluster: 'prod', service: 'web', reason: 'ThrottlingException' },
      expect.objectContaining({ outcome: 'failed', reason: 'ThrottlingException' }),
    ],
  ];
  it.each(cases)('%s', (_name, fields, expected) => {
    expect(noticesFromWorkerLog(fields)).toEqual([expected]);
  });

  it('a run that failed and was rolled back in one invocation says both, failed first', () => {
    const notices = noticesFromWorkerLog({
      ...push,
      event: 'job-finished',
      ok: false,
      services: [{ cluster: 'prod', service: 'web', outcome: 'rolled-back', reason: 'exit 1; rolled back to web:1' }],
    });
    expect(notices.map((notice) => notice.outcome)).toEqual(['failed', 'rolled-back']);
    expect(notices[0]?.services).toEqual([{ cluster: 'prod', service: 'web', outcome: 'rolled-back', reason: 'exit 1; rolled back to web:1' }]);
  });

  const silent: [string, Record<string, unknown>][] = [
    [
      'a repository outside the allow-list (anyone who can send to the queue could cause it)',
      { ...push, event: 'job-refused', reason: 'not allowed' },
    ],
    ['progress', { ...push, event: 'follow-look', pending: 1 }],
    ['a follow that waits on', { ...push, event: 'follow-waiting', pending: 1 }],
    ['a forged or stale alarm message', { event: 'alarm', decision: 'not-alarm', alarm: 'a', state: 'OK' }],
    ['an alarm without a policy', { event: 'alarm', decision: 'no-policy', alarm: 'a' }],
    ['a malformed alarm event', { event: 'alarm', decision: 'malformed', reason: 'x' }],
    [
      'a re-check of an alarm still in ALARM that holds back again',
      { event: 'alarm', decision: 'in-cooldown', shape: 'recheck', alarm: 'a', cluster: 'prod', service: 'web', remaining: 30 },
    ],
    ['a delivery log line', { event: 'notify-failed', target: 'x', outcome: 'started' }],
  ];
  it.each(silent)('no notification for %s', (_name, fields) => {
    expect(noticesFromWorkerLog(fields)).toEqual([]);
  });
});
