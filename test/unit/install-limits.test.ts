import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { checkInstallLimits, environmentSize, policySize } from '../../src/core/install-limits.js';
import { installPolicyDocument } from '../../src/core/install-plan.js';

const names = {
  install: 'ecs-roll',
  role: 'ecs-roll',
  policy: 'ecs-roll-policy',
  functions: { receiver: 'ecs-roll-receiver', worker: 'ecs-roll-worker' },
  logGroups: { receiver: '/aws/lambda/ecs-roll-receiver', worker: '/aws/lambda/ecs-roll-worker' },
  api: 'ecs-roll',
  topic: 'ecs-roll-alarms',
};
const policyFor = (clusters: number) =>
  installPolicyDocument({
    region: 'eu-west-1',
    account: '111122223333',
    names: names as Parameters<typeof installPolicyDocument>[0]['names'],
    clusters: Array.from({ length: clusters }, (_, index) => `cluster-with-a-long-name-${index}`),
    passRoleArns: [],
  });
const repos = (count: number) => ({ ECS_ROLL_REPOS: Array.from({ length: count }, (_, index) => `acme-org/service-number-${index}`).join(',') });
const largest = { variable: 'ECS_ROLL_REPOS', option: '--repo' };

describe('install limits', () => {
  it('measures a policy as IAM does, without white space', () => {
    expect(policySize({ a: [1, 2] })).toBe('{"a":[1,2]}'.length);
    expect(environmentSize({ AB: 'é' })).toBe(4);
  });

  it.each([
    ['a few clusters and repositories', 3, 10, undefined],
    ['so many clusters the policy passes 10,240 characters', 60, 10, /IAM policy would be \d+ characters, over IAM's 10240.*--cluster/],
    [
      'so many repositories the environment passes 4 KB',
      3,
      200,
      /environment would be \d+ bytes, over Lambda's 4096; ECS_ROLL_REPOS holds the --repo allow-list/,
    ],
  ])('%s', (_, clusters, repositories, expected) => {
    const check = () => checkInstallLimits(policyFor(clusters), repos(repositories), largest);
    if (expected === undefined) expect(check).not.toThrow();
    else {
      expect(check).toThrow(UsageError);
      expect(check).toThrow(expected);
    }
  });
});
