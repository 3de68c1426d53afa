import { describe, expect, it } from 'vitest';
import { fieldsTheSdkDropped } from '../../src/aws/raw-json.js';
import { UsageError } from '../../src/core/errors.js';
import { stopReason } from '../../src/core/execute-replace.js';
import { planRollout, PUSHED_AT_TAG } from '../../src/core/plan.js';
import { aContainer, anObservedState, aRequest, aService, aTaskDefinition, taskDefinitionArnOf } from './builders.js';

const tagsOf = (count: number) => Array.from({ length: count }, (_, index) => ({ key: `k${index}`, value: String(index) }));

function planFor(tags: { key: string; value: string }[], fields: Record<string, unknown> = {}, unmodelledFields?: string[]) {
  const source = {
    ...aTaskDefinition({ containers: [aContainer({ name: 'web', image: 'acme/web:1.0' })], tags, fields }),
    ...(unmodelledFields === undefined ? {} : { unmodelledFields }),
  };
  return planRollout(anObservedState([aService({ taskDefinitionArn: source.arn })], [source]), {
    ...aRequest('acme/web:1.1'),
    pushedAt: 1_767_225_600,
  });
}

describe('tags on the copy', () => {
  it.each([
    // The revision-wide push time and the changed container's own.
    ['no tags', 0, 2, true],
    // Room for one: the revision-wide push time only.
    ['49 tags: room for the push time', 49, 50, true],
    ['50 tags: kept, push time skipped', 50, 50, false],
  ])('%s', (_, count, expectedTags, pushTimeRecorded) => {
    const plan = planFor(tagsOf(count));
    const registration = plan.registrations[0];
    const tags = (registration?.input.tags ?? []) as { key: string }[];
    expect(tags).toHaveLength(expectedTags);
    expect(tags.some((tag) => tag.key === PUSHED_AT_TAG)).toBe(pushTimeRecorded);
    expect(registration?.warnings === undefined).toBe(pushTimeRecorded);
  });

  it('50 tags and an old push time: the push time is replaced, still 50', () => {
    const plan = planFor([...tagsOf(49), { key: PUSHED_AT_TAG, value: '1' }]);
    const tags = plan.registrations[0]?.input.tags as { key: string; value: string }[];
    expect(tags).toHaveLength(50);
    expect(tags.find((tag) => tag.key === PUSHED_AT_TAG)?.value).toBe('1767225600');
    expect(plan.registrations[0]?.warnings).toBeUndefined();
  });

  it('never copies tags reserved for AWS, in any case, and they do not count toward 50', () => {
    const plan = planFor([...tagsOf(49), { key: 'aws:cloudformation:stack-name', value: 's' }, { key: 'AWS:Owner', value: 'o' }]);
    const keys = ((plan.registrations[0]?.input.tags ?? []) as { key: string }[]).map((tag) => tag.key);
    expect(keys).toHaveLength(50);
    expect(keys.filter((key) => key.toLowerCase().startsWith('aws:'))).toEqual([]);
  });
});

describe('a revision holding settings the SDK does not model', () => {
  it('is refused with a usage error naming the revision and the fields', () => {
    expect(() => planFor([], {}, ['enableFaultInjection', 'containerDefinitions[0].restartPolicy'])).toThrow(UsageError);
    expect(() => planFor([], {}, ['enableFaultInjection'])).toThrow(/web:1 has enableFaultInjection.*upgrade ecs-roll/);
  });

  it('is not refused when it needs no copy (already on the target)', () => {
    const source = { ...aTaskDefinition({ containers: [aContainer({ name: 'web', image: 'acme/web:1.1' })] }), unmodelledFields: ['x'] };
    const plan = planRollout(anObservedState([aService({ taskDefinitionArn: source.arn })], [source]), aRequest('acme/web:1.1'));
    expect(plan.services[0]?.action).toBe('none');
  });
});

describe('fieldsTheSdkDropped', () => {
  it.each([
    ['nothing dropped', { a: 1, b: { c: 'x' } }, { a: 1, b: { c: 'x' } }, []],
    ['a top-level field', { a: 1, enableFaultInjection: true }, { a: 1 }, ['enableFaultInjection']],
    [
      'a container field',
      { containerDefinitions: [{ name: 'web' }, { name: 'log', restartPolicy: { enabled: true } }] },
      { containerDefinitions: [{ name: 'web' }, { name: 'log' }] },
      ['containerDefinitions[1].restartPolicy'],
    ],
    [
      'a nested field',
      { runtimePlatform: { cpuArchitecture: 'ARM64', future: 1 } },
      { runtimePlatform: { cpuArchitecture: 'ARM64' } },
      ['runtimePlatform.future'],
    ],
    ['nulls are no setting', { a: null }, {}, []],
    ['a timestamp parsed to a Date', { registeredAt: 1_700_000_000 }, { registeredAt: new Date(0) }, []],
    ['map keys kept', { dockerLabels: { 'x.y': 'z' } }, { dockerLabels: { 'x.y': 'z' } }, []],
  ])('%s', (_, raw, parsed, expected) => {
    expect(fieldsTheSdkDropped(raw, parsed)).toEqual(expected);
  });
});

describe('stopReason', () => {
  it.each([
    ['a short family', 'web', 'ecs-roll: replacing with web:8'],
    ['a 255-character family', 'w'.repeat(255), undefined],
  ])('%s stays within 255 characters', (_, family, expected) => {
    const reason = stopReason(taskDefinitionArnOf(family, 8));
    expect(reason.length).toBeLessThanOrEqual(255);
    if (expected !== undefined) expect(reason).toBe(expected);
    else expect(reason.startsWith('ecs-roll: replacing with www')).toBe(true);
  });
});
