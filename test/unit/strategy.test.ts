import { describe, expect, it } from 'vitest';
import { ecsRollbackReason, replaceRefusal, stagedWaitSeconds } from '../../src/core/strategy.js';
import { taskDefinitionArnOf } from './builders.js';

describe('stagedWaitSeconds', () => {
  it.each([
    ['ROLLING', { deploymentStrategy: 'ROLLING', stagedWaits: { bakeTimeInMinutes: 5 } }, 0],
    ['no strategy', {}, 0],
    ['BLUE_GREEN bake 5', { deploymentStrategy: 'BLUE_GREEN', stagedWaits: { bakeTimeInMinutes: 5 } }, 300],
    ['BLUE_GREEN without bake', { deploymentStrategy: 'BLUE_GREEN' }, 0],
    ['LINEAR defaults: 10 steps, 6 min between', { deploymentStrategy: 'LINEAR' }, 9 * 6 * 60],
    [
      'LINEAR 30% steps, 2 min, bake 1',
      { deploymentStrategy: 'LINEAR', stagedWaits: { linearStepPercent: 30, linearStepBakeTimeInMinutes: 2, bakeTimeInMinutes: 1 } },
      (3 * 2 + 1) * 60,
    ],
    ['CANARY default bake', { deploymentStrategy: 'CANARY' }, 600],
    ['CANARY 3 min and bake 2', { deploymentStrategy: 'CANARY', stagedWaits: { canaryBakeTimeInMinutes: 3, bakeTimeInMinutes: 2 } }, 300],
  ] as const)('%s → %i s', (_, service, seconds) => {
    expect(stagedWaitSeconds(service)).toBe(seconds);
  });
});

describe('replaceRefusal', () => {
  it.each([
    [[{ cluster: 'prod', service: 'web', deploymentStrategy: 'ROLLING' }], false],
    [[{ cluster: 'prod', service: 'web' }], false],
    [[{ cluster: 'prod', service: 'web', deploymentStrategy: 'BLUE_GREEN' }], true],
    [
      [
        { cluster: 'prod', service: 'a' },
        { cluster: 'prod', service: 'b', deploymentStrategy: 'LINEAR' },
      ],
      true,
    ],
  ] as const)('%j → refused %s', (services, refused) => {
    const error = replaceRefusal(services);
    expect(error !== undefined).toBe(refused);
    if (error !== undefined) expect(error.exitCode).toBe(2);
  });
});

describe('ecsRollbackReason', () => {
  const source = taskDefinitionArnOf('web', 1);
  const target = taskDefinitionArnOf('web', 2);
  it.each([
    ['back on the source, no service deployment known', source, undefined, /ECS rolled it back to web:1: circuit breaker/],
    [
      'ROLLBACK_SUCCESSFUL with a reason',
      source,
      { arn: 'a', status: 'ROLLBACK_SUCCESSFUL', rollbackReason: 'alarm x' },
      /rolled it back to web:1: alarm x/,
    ],
    [
      'ROLLBACK_FAILED',
      target,
      { arn: 'a', status: 'ROLLBACK_FAILED', statusReason: 'hook failed' },
      /tried to roll it back and failed: hook failed/,
    ],
    ['on a third revision, still IN_PROGRESS (someone else moved it)', taskDefinitionArnOf('web', 3), { arn: 'a', status: 'IN_PROGRESS' }, undefined],
  ] as const)('%s', (_, now, serviceDeployment, expected) => {
    const reason = ecsRollbackReason(source, { taskDefinitionArn: now }, serviceDeployment, 'circuit breaker');
    if (expected === undefined) expect(reason).toBeUndefined();
    else expect(reason).toMatch(expected);
  });
});
