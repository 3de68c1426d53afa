import { describe, expect, it } from 'vitest';
import {
  decideAfterLook,
  followDeadline,
  followKey,
  lookBudgetMs,
  MAX_FOLLOW_SECONDS,
  nextDelaySeconds,
  parseFollowJob,
  type FollowedService,
  type FollowJob,
  type LookEnd,
} from '../../src/core/follow.js';

const service = (name: string, state: FollowedService['state'] = 'pending'): FollowedService => ({
  cluster: 'prod',
  clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
  service: name,
  deploymentId: `ecs-svc/${name}`,
  target: `arn:aws:ecs:us-east-1:123456789012:task-definition/${name}:2`,
  previous: `arn:aws:ecs:us-east-1:123456789012:task-definition/${name}:1`,
  state,
});

const job = (services: FollowedService[], extra: Partial<FollowJob> = {}): FollowJob => ({
  version: 1,
  kind: 'follow',
  image: 'acme/web:1.1',
  pushedAt: 1_800_000_000,
  phase: 'rollout',
  deadline: 10_000,
  attempt: 3,
  startedAt: 0,
  services,
  ...extra,
});

const ends = (entries: [FollowedService, LookEnd][]) => new Map(entries.map(([key, end]) => [followKey(key), end]));

describe('decideAfterLook', () => {
  it('looks again while a deployment is in progress and the deadline has not passed; the budget running out is no failure', () => {
    const web = service('web');
    const decision = decideAfterLook(job([web]), ends([[web, { state: 'waiting' }]]), 5_000);
    expect(decision.kind).toBe('again');
    expect(decision.job.attempt).toBe(4);
    expect(decision.job.services[0]?.state).toBe('pending');
  });

  it('finishes ok when every deployment completed', () => {
    const [web, api] = [service('web'), service('api', 'completed')];
    const decision = decideAfterLook(job([web, api]), ends([[web, { state: 'completed' }]]), 5_000);
    expect(decision).toMatchObject({ kind: 'finished', ok: true });
  });

  it('rolls back every service the rollout moved when one failed, leaving superseded ones alone', () => {
    const [web, api, old] = [service('web'), service('api', 'completed'), service('old', 'superseded')];
    const decision = decideAfterLook(job([web, api, old]), ends([[web, { state: 'failed', reason: 'circuit breaker' }]]), 5_000);
    expect(decision.kind).toBe('roll-back');
    if (decision.kind !== 'roll-back') return;
    expect(decision.services.map((entry) => entry.service)).toEqual(['web', 'api']);
    expect(decision.reason).toBe('prod/web: circuit breaker');
  });

  it('a deployment still in progress at the follow deadline failed', () => {
    const web = service('web');
    const decision = decideAfterLook(job([web]), ends([[web, { state: 'waiting' }]]), 10_000);
    expect(decision.kind).toBe('roll-back');
    expect(decision.job.services[0]?.reason).toMatch(/follow deadline/);
  });

  it('a rollback that completes ends the job as rolled back, not ok', () => {
    const web = { ...service('web'), reason: 'x; rolled back to web:1' };
    const decision = decideAfterLook(job([web], { phase: 'rollback' }), ends([[web, { state: 'completed' }]]), 5_000);
    expect(decision).toMatchObject({ kind: 'finished', ok: false });
    expect(decision.job.services[0]?.state).toBe('rolled-back');
  });
});

describe('follow budgets', () => {
  it.each([
    [900_000, 449_000],
    [4_000, 1_000],
    [1_000, 0],
    [undefined, 60_000],
  ])('an invocation with %s ms left looks for at most %s ms', (remaining, budget) => {
    expect(lookBudgetMs(remaining, Number.MAX_SAFE_INTEGER, 0)).toBe(budget);
  });

  it('never looks past the deadline', () => {
    expect(lookBudgetMs(900_000, 1_500, 1_000)).toBe(500);
  });

  it("clamps the follow time to a day and the delay to SQS's 900 s", () => {
    expect(followDeadline(0, 10 * MAX_FOLLOW_SECONDS)).toBe(MAX_FOLLOW_SECONDS * 1000);
    expect(nextDelaySeconds(5000)).toBe(900);
    expect(nextDelaySeconds(0.3)).toBe(0);
  });
});

describe('parseFollowJob', () => {
  it('takes back what was sent', () => {
    const sent = job([service('web')]);
    expect(parseFollowJob(JSON.parse(JSON.stringify(sent)))).toEqual(sent);
  });

  it.each([
    ['no services', { ...job([]) }],
    ['a wrong kind', { ...job([service('web')]), kind: 'push' }],
    ['an unknown state', { ...job([{ ...service('web'), state: 'odd' as FollowedService['state'] }]) }],
    ['a missing deployment', { ...job([{ ...service('web'), deploymentId: '' }]) }],
  ])('refuses %s', (_, value) => {
    expect(parseFollowJob(value)).toBeUndefined();
  });
});
