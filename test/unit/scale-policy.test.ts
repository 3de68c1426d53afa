import { describe, expect, it } from 'vitest';
import type { AlarmPolicy } from '../../src/core/alarm.js';
import { policyTags } from '../../src/core/alarm.js';
import { decideScale } from '../../src/core/alarm-decision.js';
import {
  effectiveBounds,
  legacyAlarmPolicy,
  policyForAlarm,
  readServicePolicyTag,
  servicePolicies,
  servicePolicyTag,
  servicePolicyTagKey,
  tagLimitProblem,
  tagSafeText,
} from '../../src/core/scale-policy.js';

const ARN = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-cpu-high';
const WEB = { cluster: 'prod', service: 'web' };
const policy = (overrides: Partial<AlarmPolicy> = {}): AlarmPolicy => ({
  ...WEB,
  adjustment: { kind: 'change', tasks: 2 },
  min: 1,
  max: 10,
  cooldownSeconds: 300,
  ...overrides,
});
const TAG_SAFE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

describe('the policy tag on a service', () => {
  it.each([
    ['+2', policy()],
    ['-1', policy({ adjustment: { kind: 'change', tasks: -1 } })],
    ['=4', policy({ adjustment: { kind: 'exact', count: 4 } })],
    ['+50%', policy({ adjustment: { kind: 'percent', percent: 50 } })],
    ['-12.5%', policy({ adjustment: { kind: 'percent', percent: -12.5 } })],
    ['cooldown 0', policy({ cooldownSeconds: 0 })],
  ])('round-trips %s', (_name, given) => {
    const tag = servicePolicyTag(given, { arn: ARN, name: 'web-cpu-high' });
    expect(readServicePolicyTag(tag, WEB)).toEqual({ kind: 'policy', entry: { key: tag.key, alarmLabel: 'web-cpu-high', policy: given } });
  });

  it('is keyed by a digest of the alarm ARN, and writes only characters and lengths ECS accepts', () => {
    const tag = servicePolicyTag(policy({ adjustment: { kind: 'percent', percent: 50 } }), { arn: ARN, name: 'web-cpu-high' });
    expect(tag.key).toMatch(/^ecs-roll:alarm:[0-9a-f]{32}$/);
    expect(tag.value).toBe('adjust=+50pct min=1 max=10 cooldown=300 alarm=web-cpu-high');
    const long = servicePolicyTag(
      policy({ min: 999_999, max: 1_000_000, adjustment: { kind: 'exact', count: 1_000_000 }, cooldownSeconds: 86_400 }),
      {
        arn: `${ARN}x`,
        name: `CPU > 70% (p99), "web" #${'é'.repeat(250)}`,
      },
    );
    expect([...long.key].length).toBeLessThanOrEqual(128);
    expect([...long.value].length).toBe(256);
    expect(TAG_SAFE.test(long.key) && TAG_SAFE.test(long.value)).toBe(true);
    expect(long.value).toContain('alarm=CPU _ 70_ _p99__ _web_ _é');
    expect(tagLimitProblem([], [long])).toBeUndefined();
  });

  it.each([
    ['a name', 'web-cpu-high', 300, 'web-cpu-high'],
    ['unsafe characters', 'a>b%c,d#e', 300, 'a_b_c_d_e'],
    ['cut to the room left', 'abcdef', 3, 'abc'],
    ['letters of any script', 'nœud-データ', 300, 'nœud-データ'],
  ])('tagSafeText keeps %s readable', (_name, text, room, expected) => {
    expect(tagSafeText(text, room)).toBe(expected);
  });

  it.each([
    ['not the format', 'web-cpu-high', /is not "adjust=/],
    ['a bad adjustment', 'adjust=2 min=1 max=10 cooldown=300 alarm=x', /must be \+n/],
    ['min above max', 'adjust=+2 min=5 max=3 cooldown=300 alarm=x', /above --max/],
    ['a bad cooldown', 'adjust=+2 min=1 max=3 cooldown=-1 alarm=x', /--cooldown/],
  ])('reads %s as an invalid policy, never a policy', (_name, value, reason) => {
    const read = readServicePolicyTag({ key: servicePolicyTagKey(ARN), value }, WEB);
    expect(read.kind).toBe('invalid');
    expect(read.kind === 'invalid' ? read.reason : '').toMatch(reason);
  });

  it('lists every policy tag of a service and ignores the others', () => {
    const tags = [
      { key: 'team', value: 'web' },
      { key: 'ecs-roll:scaled-at', value: '1767225600' },
      servicePolicyTag(policy(), { arn: ARN, name: 'web-cpu-high' }),
      servicePolicyTag(policy({ adjustment: { kind: 'change', tasks: -1 } }), { arn: `${ARN}-low`, name: 'web-cpu-low' }),
    ];
    expect(
      servicePolicies(tags, WEB)
        .map((read) => (read.kind === 'policy' ? read.entry.alarmLabel : read.kind))
        .sort(),
    ).toEqual(['web-cpu-high', 'web-cpu-low']);
  });
});

describe('matching an alarm to the policy on its service', () => {
  const tags = [servicePolicyTag(policy(), { arn: ARN, name: 'web-cpu-high' })];
  it.each([
    ['the alarm the policy names', ARN, 'policy'],
    ['an alarm made by hand with the same tags (another name)', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-cpu-high-copy', 'none'],
    ['the same name in another account', 'arn:aws:cloudwatch:us-east-1:210987654321:alarm:web-cpu-high', 'none'],
    ['the same name in another region', 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web-cpu-high', 'none'],
  ])('%s: %s', (_name, alarmArn, kind) => {
    expect(policyForAlarm(tags, alarmArn, WEB).kind).toBe(kind);
  });

  it('takes the service from where the tag is, not from anything the tag or the alarm says', () => {
    const match = policyForAlarm(tags, ARN, { cluster: 'staging', service: 'api' });
    expect(match).toMatchObject({ kind: 'policy', policy: { cluster: 'staging', service: 'api' } });
  });

  it("reads an older install's policy in an alarm's tags, and not the pointer alone", () => {
    expect(legacyAlarmPolicy(policyTags(policy()))).toEqual({ kind: 'policy', policy: policy() });
    expect(legacyAlarmPolicy([{ key: 'ecs-roll:service', value: 'prod/web' }])).toEqual({ kind: 'none' });
    expect(
      legacyAlarmPolicy([
        { key: 'ecs-roll:service', value: 'prod/web' },
        { key: 'ecs-roll:adjust', value: '+1' },
      ]).kind,
    ).toBe('invalid');
  });
});

describe('ECS tag limits (API_Tag: 50 a resource, keys 128, values 256)', () => {
  const tags = (count: number, prefix = 'k') => Array.from({ length: count }, (_, index) => ({ key: `${prefix}${index}`, value: 'v' }));
  it.each([
    ['49 + 1', tags(49), [{ key: 'new', value: 'v' }], undefined],
    ['50 + 1', tags(50), [{ key: 'new', value: 'v' }], /51 tags; ECS allows 50/],
    ['50 with one replaced', tags(50), [{ key: 'k3', value: 'w' }], undefined],
    ['aws: tags do not count', [...tags(49), ...tags(5, 'aws:cloudformation:')], [{ key: 'new', value: 'v' }], undefined],
    ['a 129-character key', [], [{ key: 'k'.repeat(129), value: 'v' }], /1 to 128/],
    ['a 257-character value', [], [{ key: 'k', value: 'v'.repeat(257) }], /over 256/],
    ['a character ECS refuses', [], [{ key: 'k', value: 'a,b' }], /character/],
  ])('%s', (_name, existing, adding, problem) => {
    const found = tagLimitProblem(existing, adding);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });
});

describe("bounds: the policy's narrowed by Application Auto Scaling's", () => {
  it.each([
    ['no scalable target', { min: 1, max: 10 }, undefined, { min: 1, max: 10, source: { min: 'policy', max: 'policy' } }],
    ['a wider target', { min: 2, max: 10 }, { min: 1, max: 20 }, { min: 2, max: 10, source: { min: 'policy', max: 'policy' } }],
    ['a narrower max', { min: 1, max: 10 }, { min: 1, max: 8 }, { min: 1, max: 8, source: { min: 'policy', max: 'autoscaling' } }],
    ['a higher min', { min: 1, max: 10 }, { min: 3, max: 20 }, { min: 3, max: 10, source: { min: 'autoscaling', max: 'policy' } }],
    [
      'ranges that do not meet: autoscaling wins',
      { min: 1, max: 4 },
      { min: 6, max: 9 },
      { min: 6, max: 9, source: { min: 'autoscaling', max: 'autoscaling' } },
    ],
  ] as const)('%s', (_name, given, autoscaling, expected) => {
    expect(effectiveBounds(given, autoscaling)).toEqual(expected);
  });

  const NOW = 1_767_225_600;
  it.each([
    ['+2 from 7 held at the target max 8', policy(), 7, { min: 1, max: 8 }, { kind: 'clamped', from: 7, to: 8, bound: 'autoscaling-max' }],
    ['+2 from 8 at the target max 8', policy(), 8, { min: 1, max: 8 }, { kind: 'at-bound', count: 8, bound: 'autoscaling-max' }],
    [
      '-3 from 4 held at the target min 3',
      policy({ adjustment: { kind: 'change', tasks: -3 } }),
      4,
      { min: 3, max: 20 },
      { kind: 'clamped', from: 4, to: 3, bound: 'autoscaling-min' },
    ],
    [
      '+2 from 9 held at the policy max 10 inside a wider target',
      policy(),
      9,
      { min: 1, max: 50 },
      { kind: 'clamped', from: 9, to: 10, bound: 'max' },
    ],
    ['+2 from 4 untouched by a wide target', policy(), 4, { min: 0, max: 50 }, { kind: 'acted', from: 4, to: 6 }],
  ] as const)('%s', (_name, given, desiredCount, autoscaling, expected) => {
    expect(decideScale({ policy: given, desiredCount, lastScaledAt: undefined, now: NOW, autoscaling })).toEqual(expected);
  });
});
