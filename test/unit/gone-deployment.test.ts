import { describe, expect, it } from 'vitest';
import {
  goneReason,
  matchGoneDeployment,
  RECORD_MATCH_SKEW_MS,
  recordedReason,
  type ServiceDeploymentRecord,
} from '../../src/core/gone-deployment.js';
import type { EcsPort } from '../../src/core/ports.js';
import { aService } from './builders.js';
import { outcomeOf, scenario } from './execute-scenario.js';

const UPDATED_AT = 10_000_000;
const BREAKER = 'ECS deployment circuit breaker: tasks failed to start.';
const record = (status: string, createdAt: number | undefined, extra: Partial<ServiceDeploymentRecord> = {}): ServiceDeploymentRecord => ({
  arn: `arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/web/${status}-${createdAt ?? 'none'}`,
  status,
  ...(createdAt === undefined ? {} : { createdAt }),
  ...extra,
});

describe('matchGoneDeployment: the record of the deployment this run created, only when certain', () => {
  const ours = record('ROLLBACK_SUCCESSFUL', UPDATED_AT - 500);
  it.each([
    ['the one record that ended badly since the update', [record('SUCCESSFUL', UPDATED_AT - 3_600_000), ours], ours],
    ['one created within the clock skew before the update', [record('ROLLBACK_FAILED', UPDATED_AT - RECORD_MATCH_SKEW_MS)], 'ROLLBACK_FAILED'],
    ['a successful earlier deployment inside the skew does not count', [record('SUCCESSFUL', UPDATED_AT - 1_000), ours], ours],
    ['a stopped one (replaced before it completed)', [record('STOPPED', UPDATED_AT + 100), record('IN_PROGRESS', UPDATED_AT + 5_000)], 'STOPPED'],
    ['none: no record at all', [], undefined],
    ['none: only successful records', [record('SUCCESSFUL', UPDATED_AT + 100)], undefined],
    ['none: the failure is older than the update and the skew', [record('ROLLBACK_SUCCESSFUL', UPDATED_AT - RECORD_MATCH_SKEW_MS - 1)], undefined],
    ['none: two failures since the update (ambiguous)', [ours, record('ROLLBACK_SUCCESSFUL', UPDATED_AT + 9_000)], undefined],
    ['none: a record without createdAt', [record('ROLLBACK_SUCCESSFUL', undefined)], undefined],
    ['none: still in progress', [record('IN_PROGRESS', UPDATED_AT + 100)], undefined],
  ] as const)('%s', (_name, records, expected) => {
    const found = matchGoneDeployment(records, UPDATED_AT);
    if (typeof expected === 'string') expect(found?.status).toBe(expected);
    else expect(found).toBe(expected);
  });
});

describe('recordedReason: what ECS recorded, in its words', () => {
  const service = aService({ serviceName: 'web', taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:1' });
  it.each([
    [
      'rolled back, with the status reason',
      record('ROLLBACK_SUCCESSFUL', 1, { statusReason: BREAKER, rollbackReason: 'other' }),
      `deployment ecs-svc/1 failed and ECS rolled it back (ROLLBACK_SUCCESSFUL): ${BREAKER}; the service now runs web:1`,
    ],
    [
      'rolling back, only the rollback reason',
      record('ROLLBACK_IN_PROGRESS', 1, { rollbackReason: 'alarm web-5xx is in ALARM state' }),
      'deployment ecs-svc/1 failed and ECS rolled it back (ROLLBACK_IN_PROGRESS): alarm web-5xx is in ALARM state; the service now runs web:1',
    ],
    [
      'the rollback failed',
      record('ROLLBACK_FAILED', 1, { statusReason: BREAKER }),
      `deployment ecs-svc/1 failed and ECS could not roll it back (ROLLBACK_FAILED): ${BREAKER}; the service now runs web:1`,
    ],
    ['stopped, no reason given', record('STOPPED', 1), 'deployment ecs-svc/1 was stopped (STOPPED); the service now runs web:1'],
    [
      'a blank reason is no reason',
      record('STOP_REQUESTED', 1, { statusReason: '  ' }),
      'deployment ecs-svc/1 was stopped (STOP_REQUESTED); the service now runs web:1',
    ],
  ] as const)('%s', (_name, found, expected) => {
    expect(recordedReason('ecs-svc/1', found, service)).toBe(expected);
  });

  it('without a record, the words stay what they were', () => {
    expect(goneReason('ecs-svc/1', service)).toBe(
      'deployment ecs-svc/1 is gone; the service now runs web:1 (rolled back by ECS or replaced by another deployment)',
    );
  });
});

describe('waiting: ECS is asked about a deployment only when it is gone, and a failed read changes nothing', () => {
  type Records = NonNullable<EcsPort['serviceDeploymentsSince']>;
  function withRecords(scripts: ('vanish' | 'ok')[], answer: (since: number, now: number) => Promise<ServiceDeploymentRecord[]>) {
    const world = scenario([{ name: 'web', ...(scripts.includes('vanish') ? { scripts: ['vanish'] as const } : {}) }]);
    const asked: number[] = [];
    const port: Records = async (_cluster, _service, since) => {
      asked.push(since);
      return answer(since, world.clock.now());
    };
    Object.assign(world.ecs, { serviceDeploymentsSince: port });
    return { ...world, asked };
  }

  it('gone, one record rolled back since the update: its status and reason', async () => {
    const { run, asked } = withRecords(['vanish'], async (_since, now) => [
      record('SUCCESSFUL', now - 3_600_000),
      record('ROLLBACK_SUCCESSFUL', now - 1_000, { statusReason: BREAKER }),
    ]);
    const result = await run({ rollback: false });
    expect(outcomeOf(result, 'web').outcome).toBe('failed');
    expect(outcomeOf(result, 'web').reason).toMatch(
      /^deployment ecs-svc\/\S+ failed and ECS rolled it back \(ROLLBACK_SUCCESSFUL\): ECS deployment circuit breaker/,
    );
    expect(asked).toHaveLength(1);
  });

  it.each([
    ['the read is denied', async () => Promise.reject(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }))],
    ['the read is throttled', async () => Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))],
    ['no record matches for certain', async (_since: number, now: number) => [record('ROLLBACK_SUCCESSFUL', now), record('STOPPED', now)]],
  ] as const)('gone, but %s: the "gone" words, and still a plain failure', async (_name, answer) => {
    const { run, asked } = withRecords(['vanish'], answer);
    const result = await run({ rollback: false });
    expect(outcomeOf(result, 'web').outcome).toBe('failed');
    expect(outcomeOf(result, 'web').reason).toMatch(/is gone; the service now runs web:1 \(rolled back by ECS or replaced by another deployment\)$/);
    expect(asked).toHaveLength(1);
  });

  it('a deployment that completes costs no extra read', async () => {
    const { run, asked } = withRecords(['ok'], async () => []);
    const result = await run();
    expect(outcomeOf(result, 'web').outcome).toBe('completed');
    expect(asked).toEqual([]);
  });
});
