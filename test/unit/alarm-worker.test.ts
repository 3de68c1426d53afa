// The worker's alarm path (src/lambda/alarm.ts) against an in-memory AWS.
import { describe, expect, it } from 'vitest';
import { SCALED_AT_TAG, type AlarmNow, type AlarmWorkerPort, type ScalableTargetBounds, type ScaleOutcome } from '../../src/core/alarm.js';
import { alarmRecheck, parseAlarmRecheck, recheckDelaySeconds, type AlarmRecheck } from '../../src/core/alarm-recheck.js';
import type { ServiceSnapshot, Tag } from '../../src/core/model.js';
import { servicePolicyTag } from '../../src/core/scale-policy.js';
import { handleAlarmEvent, handleAlarmRecheck } from '../../src/lambda/alarm.js';
import { ALARM_ARN, lambdaEvent, policy, snsEvent, snsMessage } from './alarm-fixtures.js';
import { aService } from './builders.js';

/** An in-memory AWS for the worker: one alarm, one service whose tags hold the alarm's policy. */
class FakeAws implements AlarmWorkerPort {
  readonly updates: number[] = [];
  readonly marks: number[] = [];
  alarm: AlarmNow | undefined = { arn: ALARM_ARN, state: 'ALARM', tags: [{ key: 'ecs-roll:service', value: 'prod/web' }] };
  service: ServiceSnapshot | undefined = aService({ desiredCount: 4 });
  serviceTagList: Tag[] = [servicePolicyTag(policy(), { arn: ALARM_ARN, name: 'cpu-high' })];
  target: ScalableTargetBounds | undefined;
  failUpdate = false;

  async describeAlarm(): Promise<AlarmNow | undefined> {
    return this.alarm;
  }
  async describeService(): Promise<ServiceSnapshot | undefined> {
    return this.service;
  }
  async serviceTags(): Promise<readonly Tag[]> {
    return this.serviceTagList;
  }
  async scalableTarget(): Promise<ScalableTargetBounds | undefined> {
    return this.target;
  }
  async setDesiredCount(_service: ServiceSnapshot, count: number): Promise<ScaleOutcome> {
    if (this.failUpdate) throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
    this.updates.push(count);
    return { outcome: 'updated' };
  }
  async markScaled(_arn: string, at: number): Promise<void> {
    this.marks.push(at);
  }
  set stateNow(state: string) {
    if (this.alarm !== undefined) this.alarm = { ...this.alarm, state };
  }
}

describe('handleAlarmEvent', () => {
  const NOW = 1_767_225_600;
  const run = async (event: unknown, aws: FakeAws) => {
    const lines: Record<string, unknown>[] = [];
    const result = await handleAlarmEvent(event, (fields) => lines.push({ ...fields }), aws, { now: () => NOW });
    return { ...result, lines };
  };

  it.each([
    ['SNS', snsEvent(snsMessage('ALARM'))],
    ['Lambda action', lambdaEvent('ALARM')],
  ])('scales on ALARM through %s and records the time', async (_name, event) => {
    const aws = new FakeAws();
    const { ok, decisions, lines } = await run(event, aws);
    expect(ok).toBe(true);
    expect(decisions).toEqual([expect.objectContaining({ decision: 'acted', alarm: 'cpu-high', cluster: 'prod', service: 'web', from: 4, to: 6 })]);
    expect(aws.updates).toEqual([6]);
    expect(aws.marks).toEqual([NOW]);
    expect(lines).toEqual([expect.objectContaining({ level: 'info', event: 'alarm', decision: 'acted', from: 4, to: 6 })]);
  });

  it.each([['OK'], ['INSUFFICIENT_DATA']])('does nothing on an ALARM message while DescribeAlarms says %s (stale or forged)', async (state) => {
    const aws = new FakeAws();
    aws.stateNow = state;
    const { decisions } = await run(snsEvent(snsMessage('ALARM')), aws);
    expect(decisions).toEqual([expect.objectContaining({ decision: 'not-alarm', state })]);
    expect(String(decisions[0]?.reason)).toMatch(/stale or forged/);
    expect(aws.updates).toEqual([]);
  });

  it.each([
    ['OK', snsEvent(snsMessage('OK', 'ALARM')), { decision: 'not-alarm', state: 'OK' }],
    ['INSUFFICIENT_DATA', lambdaEvent('INSUFFICIENT_DATA'), { decision: 'not-alarm', state: 'INSUFFICIENT_DATA' }],
    ['malformed', snsEvent('not json'), { decision: 'malformed' }],
  ])('does nothing on %s', async (_name, event, expected) => {
    const aws = new FakeAws();
    const { decisions, lines } = await run(event, aws);
    expect(decisions).toEqual([expect.objectContaining(expected)]);
    expect(lines).toHaveLength(1);
    expect(aws.updates).toEqual([]);
  });

  it('does nothing in cooldown, at max, without a policy or a service', async () => {
    const cooling = new FakeAws();
    cooling.serviceTagList.push({ key: SCALED_AT_TAG, value: String(NOW - 10) });
    expect((await run(lambdaEvent('ALARM'), cooling)).decisions[0]).toMatchObject({ decision: 'in-cooldown', remaining: 290 });

    const full = new FakeAws();
    full.service = aService({ desiredCount: 10 });
    expect((await run(lambdaEvent('ALARM'), full)).decisions[0]).toMatchObject({ decision: 'at-bound', count: 10, bound: 'max' });

    const bare = new FakeAws();
    bare.serviceTagList = [];
    expect((await run(lambdaEvent('ALARM'), bare)).decisions[0]).toMatchObject({ decision: 'no-policy' });

    const gone = new FakeAws();
    gone.service = undefined;
    const result = await run(lambdaEvent('ALARM'), gone);
    expect(result.ok).toBe(true);
    expect(result.decisions[0]).toMatchObject({ decision: 'service-gone', reason: 'no service prod/web' });
    expect(result.lines[0]).toMatchObject({ level: 'warn', decision: 'service-gone' });

    // A service with a pre-2021 short ARN cannot carry a policy (ECS will not tag it): its tags are not even read.
    const legacy = new FakeAws();
    legacy.service = aService({ serviceArn: 'arn:aws:ecs:eu-west-1:111122223333:service/web' });
    legacy.serviceTags = async () => {
      throw new Error('the tags of a short-ARN service were read');
    };
    expect((await run(lambdaEvent('ALARM'), legacy)).decisions[0]).toMatchObject({
      decision: 'no-policy',
      reason: expect.stringMatching(/short ARN/),
    });

    for (const aws of [cooling, full, bare, gone, legacy]) expect(aws.updates).toEqual([]);
  });

  it('logs a clamp and a DAEMON service', async () => {
    const near = new FakeAws();
    near.service = aService({ desiredCount: 9 });
    expect((await run(snsEvent(snsMessage('ALARM')), near)).decisions[0]).toMatchObject({ decision: 'clamped', from: 9, to: 10, bound: 'max' });

    const daemon = new FakeAws();
    daemon.service = aService({ schedulingStrategy: 'DAEMON' });
    expect((await run(snsEvent(snsMessage('ALARM')), daemon)).decisions[0]).toMatchObject({ decision: 'skipped' });
    expect(daemon.updates).toEqual([]);
  });

  it('does nothing for an alarm whose ARN no service names: a copy made by hand, with the same tags and actions', async () => {
    const copy = new FakeAws();
    copy.alarm = { arn: `${ALARM_ARN}-copy`, state: 'ALARM', tags: [{ key: 'ecs-roll:service', value: 'prod/web' }] };
    const event = { ...lambdaEvent('ALARM'), alarmArn: `${ALARM_ARN}-copy` };
    expect((await run(event, copy)).decisions[0]).toMatchObject({
      decision: 'no-policy',
      reason: expect.stringContaining('hold no policy for this alarm'),
    });

    const retargeted = new FakeAws();
    retargeted.alarm = { arn: ALARM_ARN, state: 'ALARM', tags: [{ key: 'ecs-roll:service', value: 'prod/api' }] };
    retargeted.service = aService({ serviceName: 'api', desiredCount: 4 });
    retargeted.serviceTagList = [];
    expect((await run(lambdaEvent('ALARM'), retargeted)).decisions[0]).toMatchObject({ decision: 'no-policy', service: 'api' });

    const unpointed = new FakeAws();
    unpointed.alarm = { arn: ALARM_ARN, state: 'ALARM', tags: [] };
    expect((await run(lambdaEvent('ALARM'), unpointed)).decisions[0]).toMatchObject({ decision: 'no-policy' });

    // A message naming this alarm but another account's ARN is not about this region's alarm.
    const elsewhere = new FakeAws();
    const foreign = snsMessage('ALARM').replace(ALARM_ARN, 'arn:aws:cloudwatch:us-east-1:210987654321:alarm:cpu-high');
    expect((await run(snsEvent(foreign), elsewhere)).decisions[0]).toMatchObject({
      decision: 'no-policy',
      reason: expect.stringContaining('210987654321'),
    });

    const gone = new FakeAws();
    gone.alarm = undefined;
    expect((await run(lambdaEvent('ALARM'), gone)).decisions[0]).toMatchObject({ decision: 'no-policy' });
    for (const aws of [copy, retargeted, unpointed, elsewhere, gone]) expect(aws.updates).toEqual([]);
  });

  it("holds the count within Application Auto Scaling's bounds and says so", async () => {
    const aws = new FakeAws();
    aws.service = aService({ desiredCount: 7 });
    aws.target = { resourceId: 'service/prod/web', min: 2, max: 8 };
    const { decisions, lines } = await run(snsEvent(snsMessage('ALARM')), aws);
    expect(decisions[0]).toMatchObject({
      decision: 'clamped',
      from: 7,
      to: 8,
      bound: 'autoscaling-max',
      autoscaling: { resourceId: 'service/prod/web', min: 2, max: 8 },
    });
    expect(lines[0]).toMatchObject({
      level: 'info',
      message: expect.stringContaining('Application Auto Scaling keeps service/prod/web within 2..8'),
    });
    expect(aws.updates).toEqual([8]);

    const atTarget = new FakeAws();
    atTarget.service = aService({ desiredCount: 8 });
    atTarget.target = { resourceId: 'service/prod/web', min: 2, max: 8 };
    expect((await run(lambdaEvent('ALARM'), atTarget)).decisions[0]).toMatchObject({ decision: 'at-bound', bound: 'autoscaling-max' });
    expect(atTarget.updates).toEqual([]);
  });

  it('never throws: a failing AWS call becomes a failed decision', async () => {
    const aws = new FakeAws();
    aws.failUpdate = true;
    const result = await run(snsEvent(snsMessage('ALARM')), aws);
    expect(result.ok).toBe(false);
    expect(result.decisions[0]).toMatchObject({ decision: 'failed', reason: expect.stringContaining('throttled') });
    expect(result.lines[0]).toMatchObject({ level: 'error' });
    expect(aws.marks).toEqual([]);
  });
});

describe('an alarm still in ALARM after its cooldown', () => {
  const NOW = 1_767_225_600;
  const sent: { note: AlarmRecheck; delay: number }[] = [];
  const recheck = async (note: AlarmRecheck, delay: number) => {
    sent.push({ note, delay });
  };
  const options = (now = NOW) => ({ now: () => now, recheck });

  it('leaves a note for the end of the cooldown after each scale', async () => {
    sent.length = 0;
    const aws = new FakeAws();
    const { decisions } = await handleAlarmEvent(snsEvent(snsMessage('ALARM')), () => {}, aws, options());
    expect(decisions[0]).toMatchObject({ decision: 'acted', recheckAt: NOW + 300 });
    expect(sent).toEqual([{ note: { kind: 'alarm-recheck', version: 1, alarmName: 'cpu-high', scaledAt: NOW, notBefore: NOW + 300 }, delay: 300 }]);
  });

  it.each([
    ['acts again when the alarm is still in ALARM', 'ALARM', NOW, NOW + 300, { decision: 'acted', from: 4, to: 6, recheckAt: NOW + 600 }, [6], 1],
    [
      'stops once the alarm is OK',
      'OK',
      NOW,
      NOW + 300,
      { decision: 'not-alarm', state: 'OK', reason: expect.stringContaining('no more re-checks') },
      [],
      0,
    ],
    ['drops a note another scale has superseded', 'ALARM', NOW - 60, NOW + 300, { decision: 'superseded' }, [], 0],
    [
      "sends an early note on again (a cooldown beyond SQS's 900 s delay)",
      'ALARM',
      NOW,
      NOW + 100,
      { decision: 'in-cooldown', recheckAt: NOW + 300 },
      [],
      1,
    ],
  ] as const)('%s', async (_name, state, noteScaledAt, at, expected, updates, notes) => {
    sent.length = 0;
    const aws = new FakeAws();
    aws.stateNow = state;
    aws.serviceTagList.push({ key: SCALED_AT_TAG, value: String(NOW) });
    const lines: Record<string, unknown>[] = [];
    const decision = await handleAlarmRecheck(alarmRecheck('cpu-high', noteScaledAt, 300), (line) => lines.push({ ...line }), aws, options(at));
    expect(decision).toMatchObject({ shape: 'recheck', ...expected });
    expect(lines).toEqual([expect.objectContaining({ event: 'alarm', decision: expected.decision })]);
    expect(aws.updates).toEqual(updates);
    expect(sent).toHaveLength(notes);
  });

  it('scales even when the note cannot be sent, and says so', async () => {
    const aws = new FakeAws();
    const failing = async () => {
      throw new Error('queue gone');
    };
    const { decisions } = await handleAlarmEvent(lambdaEvent('ALARM'), () => {}, aws, { now: () => NOW, recheck: failing });
    expect(decisions[0]).toMatchObject({ decision: 'acted', recheckWarning: expect.stringContaining('queue gone') });
    expect(aws.updates).toEqual([6]);
  });

  it.each([
    ['a zero cooldown waits a minute, as CloudWatch repeats Auto Scaling actions', 0, NOW + 60, 60],
    ['a long cooldown is delayed at most 900 s at a time', 3600, NOW + 3600, 900],
  ])('%s', (_name, cooldown, notBefore, delay) => {
    const note = alarmRecheck('cpu-high', NOW, cooldown);
    expect(note.notBefore).toBe(notBefore);
    expect(recheckDelaySeconds(note, NOW)).toBe(delay);
    expect(recheckDelaySeconds(note, notBefore + 5)).toBe(0);
  });

  it.each([
    ['a note', alarmRecheck('cpu-high', NOW, 300), true],
    ['a follow job', { kind: 'follow', version: 1 }, false],
    ['another version', { ...alarmRecheck('cpu-high', NOW, 300), version: 2 }, false],
    ['no alarm name', { ...alarmRecheck('', NOW, 300) }, false],
    ['a fractional time', { ...alarmRecheck('cpu-high', NOW, 300), scaledAt: 1.5 }, false],
  ])('parses %s: %s', (_name, body, parses) => {
    expect(parseAlarmRecheck(JSON.parse(JSON.stringify(body))) !== undefined).toBe(parses);
  });
});
