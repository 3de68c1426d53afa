// The packaged worker (the zip `install` uploads) on alarm events, called in a node process against the
// sandbox, after `scale policy put` through the built CLI.
import { ApplicationAutoScalingClient, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { SetAlarmStateCommand, TagResourceCommand } from '@aws-sdk/client-cloudwatch';
import {
  DeleteServiceCommand,
  DescribeServicesCommand,
  ListTagsForResourceCommand as EcsListTagsForResourceCommand,
  TagResourceCommand as EcsTagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alarmAction, alarmNotification, snsDelivery } from '../alarm-events.js';
import { container, createService, REGION, registerTaskDefinition } from './helpers.js';
import { callPackagedHandler, unpackPackagedHandler } from './packaged-handler.js';
import {
  ALARM,
  alarm,
  alarmTags,
  cloudwatch,
  createAlarm,
  credentials,
  desired,
  ecs,
  endpoint,
  policy,
  topicArn,
  useScalePolicyWorld,
} from './scale-policy-world.js';

useScalePolicyWorld();

// These call the packaged `work`, and need src/lambda/handler.ts to hand alarm events to
// handleAlarmEvent (`if (isAlarmEvent(event)) return handleAlarmEvent(event, log)` at the top of `work`).
describe('the packaged worker on alarm events', () => {
  let packaged: Awaited<ReturnType<typeof unpackPackagedHandler>>;

  beforeAll(async () => {
    packaged = await unpackPackagedHandler();
  });

  afterAll(async () => {
    await packaged.remove();
  });

  beforeEach(async () => {
    const put = await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10');
    expect(put.code, put.stderr).toBe(0);
  });

  /** The packaged `work`, in a fresh node process with no node_modules beside it. */
  function work(event: unknown, env: Record<string, string> = {}) {
    return callPackagedHandler<{ ok: boolean; decisions?: Record<string, unknown>[]; batchItemFailures?: unknown[] }>(
      packaged.folder,
      'work',
      event,
      {
        AWS_ENDPOINT_URL: endpoint,
        ...env,
      },
    );
  }

  async function serviceTagsOf(service: string): Promise<Record<string, string>> {
    const arn = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: [service] }))).services?.[0]?.serviceArn ?? '';
    const tags = (await ecs.send(new EcsListTagsForResourceCommand({ resourceArn: arn }))).tags ?? [];
    return Object.fromEntries(tags.map((tag) => [tag.key ?? '', tag.value ?? '']));
  }

  /** Moves the service's last scale back in time, as if the cooldown had passed. */
  async function backdateScale(at: number): Promise<void> {
    const arn = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services?.[0]?.serviceArn ?? '';
    await ecs.send(new EcsTagResourceCommand({ resourceArn: arn, tags: [{ key: 'ecs-roll:scaled-at', value: String(at) }] }));
  }

  async function alarmArn(): Promise<string> {
    return (await alarm())?.AlarmArn ?? '';
  }

  /** The worker acts only on an alarm DescribeAlarms shows in ALARM, so an ALARM event needs the alarm there too. */
  async function alarmIn(state: string): Promise<void> {
    if (state === 'ALARM') await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: ALARM, StateValue: 'ALARM', StateReason: 'test' }));
  }

  /** An ALARM change of ALARM, or its return from ALARM; the alarm's ARN as CloudWatch names it. */
  async function stateChange(state: string) {
    return { name: ALARM, arn: await alarmArn(), state, previous: state === 'ALARM' ? 'OK' : 'ALARM', description: 'web is busy' };
  }

  async function snsEvent(state: string, message?: string) {
    await alarmIn(state);
    const body = message ?? alarmNotification(await stateChange(state));
    return snsDelivery(topicArn, body, {
      subject: `ALARM: "${ALARM}"`,
      messageId: 'e3c4d8c0-0000-0000-0000-000000000000',
      at: new Date('2026-01-02T03:04:06.000Z'),
    });
  }

  async function lambdaEvent(state: string) {
    await alarmIn(state);
    return alarmAction(await stateChange(state));
  }

  async function setDesired(count: number): Promise<void> {
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: count }));
  }

  it.each([
    ['SNS', () => snsEvent('ALARM')],
    ['a direct Lambda alarm action', () => lambdaEvent('ALARM')],
  ])('scales the service +2 on ALARM through %s and records when', async (_name, event) => {
    const worked = await work(await event());
    expect(worked.result).toMatchObject({ ok: true, decisions: [{ decision: 'acted', from: 4, to: 6 }] });
    expect(worked.logs).toEqual([
      expect.objectContaining({ event: 'alarm', decision: 'acted', alarm: ALARM, cluster: 'prod', service: 'web', from: 4, to: 6 }),
    ]);
    expect(await desired()).toBe(6);
    const service = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services?.[0];
    const tags = await ecs.send(new EcsListTagsForResourceCommand({ resourceArn: service?.serviceArn ?? '' }));
    const scaledAt = Number(tags.tags?.find((tag) => tag.key === 'ecs-roll:scaled-at')?.value);
    expect(Math.abs(scaledAt - Date.now() / 1000)).toBeLessThan(60);
  });

  it('holds the count at max 10 and then does nothing at max', async () => {
    await setDesired(9);
    const clamped = await work(await snsEvent('ALARM'));
    expect(clamped.result.decisions?.[0]).toMatchObject({ decision: 'clamped', from: 9, to: 10, bound: 'max' });
    expect(await desired()).toBe(10);

    // A fresh policy put does not reset the service's cooldown; a zero cooldown lets the next alarm through.
    expect((await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10', '--cooldown', '0')).code).toBe(0);
    const atMax = await work(await lambdaEvent('ALARM'));
    expect(atMax.result).toMatchObject({ ok: true, decisions: [{ decision: 'at-bound', count: 10, bound: 'max' }] });
    expect(await desired()).toBe(10);
  });

  it.each(['OK', 'INSUFFICIENT_DATA'])('does nothing when the alarm goes to %s, in either shape', async (state) => {
    for (const event of [await snsEvent(state), await lambdaEvent(state)]) {
      const worked = await work(event);
      expect(worked.result).toMatchObject({ ok: true, decisions: [{ decision: 'not-alarm', state }] });
    }
    expect(await desired()).toBe(4);
  });

  it('drops a malformed message without throwing', async () => {
    const worked = await work(await snsEvent('ALARM', '{"AlarmName": "web-cpu-'));
    expect(worked.result).toMatchObject({ ok: false, decisions: [{ decision: 'malformed' }] });
    expect(worked.logs).toEqual([expect.objectContaining({ event: 'alarm', decision: 'malformed', level: 'warn' })]);
    expect(await desired()).toBe(4);
  });

  it('an alarm still in ALARM after its cooldown acts again: a scale leaves a delayed note on the follow queue, and the note acts while the alarm stays in ALARM', async () => {
    const sqs = new SQSClient({ endpoint, region: REGION, credentials });
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'ecs-roll-follow' }))).QueueUrl ?? '';
    const env = { ECS_ROLL_FOLLOW_QUEUE: 'ecs-roll-follow' };
    const first = await work(await snsEvent('ALARM'), env);
    expect(first.result.decisions?.[0]).toMatchObject({ decision: 'acted', from: 4, to: 6, recheckAt: expect.any(Number) });
    // Delayed until the cooldown's end (300 s): not receivable yet.
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }));
    expect(attributes.Attributes?.ApproximateNumberOfMessagesDelayed).toBe('1');

    // The note as SQS delivers it once the cooldown is over (its time moved back, as if 300 s had passed).
    const scaledAt = Number((await serviceTagsOf('web'))['ecs-roll:scaled-at']);
    const note = (at: number) => ({
      Records: [
        {
          eventSource: 'aws:sqs',
          messageId: `note-${at}`,
          body: JSON.stringify({ kind: 'alarm-recheck', version: 1, alarmName: ALARM, scaledAt: at, notBefore: at }),
        },
      ],
    });
    await backdateScale(scaledAt - 300);
    const again = await work(note(scaledAt - 300), env);
    expect(again.result).toEqual({ batchItemFailures: [] });
    expect(again.logs).toEqual([expect.objectContaining({ event: 'alarm', decision: 'acted', shape: 'recheck', from: 6, to: 8 })]);
    expect(await desired()).toBe(8);

    // Once the alarm is OK, a note does nothing and leaves no other.
    await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: ALARM, StateValue: 'OK', StateReason: 'test' }));
    const now = Number((await serviceTagsOf('web'))['ecs-roll:scaled-at']);
    await backdateScale(now - 300);
    const after = await work(note(now - 300), env);
    expect(after.logs).toEqual([expect.objectContaining({ decision: 'not-alarm', shape: 'recheck', state: 'OK' })]);
    expect(await desired()).toBe(8);
    const left = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }));
    expect(left.Attributes?.ApproximateNumberOfMessagesDelayed).toBe('2');
  });

  it('does nothing in the cooldown after a scale', async () => {
    expect((await work(await snsEvent('ALARM'))).result.decisions?.[0]).toMatchObject({ decision: 'acted', to: 6 });
    const again = await work(await lambdaEvent('ALARM'));
    expect(again.result).toMatchObject({ ok: true, decisions: [{ decision: 'in-cooldown', cooldown: 300 }] });
    expect(await desired()).toBe(6);
  });

  it("holds the count at Application Auto Scaling's MaxCapacity and logs that it did", async () => {
    const autoscaling = new ApplicationAutoScalingClient({ endpoint, region: REGION, credentials });
    await autoscaling.send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: 'ecs',
        ResourceId: 'service/prod/web',
        ScalableDimension: 'ecs:service:DesiredCount',
        MinCapacity: 1,
        MaxCapacity: 5,
      }),
    );
    const worked = await work(await snsEvent('ALARM'));
    expect(worked.result.decisions?.[0]).toMatchObject({
      decision: 'clamped',
      from: 4,
      to: 5,
      bound: 'autoscaling-max',
      autoscaling: { resourceId: 'service/prod/web', min: 1, max: 5 },
    });
    expect(worked.logs[0]).toMatchObject({ message: expect.stringContaining('Application Auto Scaling keeps service/prod/web within 1..5') });
    expect(await desired()).toBe(5);
  });

  it("does nothing for an alarm made by hand with the real one's tags and actions", async () => {
    await createService(ecs, 'prod', 'api', await registerTaskDefinition(ecs, 'api', [container('api', 'acme/api:1.0')]), { desiredCount: 2 });
    for (const [name, pointer] of [
      ['copy-for-web', 'prod/web'],
      ['copy-for-api', 'prod/api'],
    ] as const) {
      await createAlarm(name, [topicArn]);
      const arn = (await alarm(name))?.AlarmArn ?? '';
      // Every tag of the real alarm, an older install's policy tags too, pointed at a service of the forger's choice.
      await cloudwatch.send(
        new TagResourceCommand({
          ResourceARN: arn,
          Tags: [
            ...Object.entries(await alarmTags()).map(([Key, Value]) => ({ Key, Value })),
            { Key: 'ecs-roll:service', Value: pointer },
            { Key: 'ecs-roll:adjust', Value: '=0' },
            { Key: 'ecs-roll:min', Value: '0' },
            { Key: 'ecs-roll:max', Value: '0' },
          ],
        }),
      );
      await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'ALARM', StateReason: 'test' }));
      const event = await lambdaEvent('OK');
      const forged = {
        ...event,
        alarmArn: arn,
        alarmData: { ...event.alarmData, alarmName: name, state: { ...event.alarmData.state, value: 'ALARM' } },
      };
      const worked = await work(forged);
      expect(worked.result.decisions?.[0]).toMatchObject({ decision: 'no-policy', alarm: name });
    }
    expect(await desired('web')).toBe(4);
    expect(await desired('api')).toBe(2);
  });

  it('logs and drops an alarm whose service is gone, and one without a policy', async () => {
    expect((await policy('remove', 'prod/web', '--alarm', ALARM)).code).toBe(0);
    expect((await work(await snsEvent('ALARM'))).result).toMatchObject({ ok: true, decisions: [{ decision: 'no-policy' }] });
    expect(await desired()).toBe(4);

    expect((await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10')).code).toBe(0);
    await ecs.send(new DeleteServiceCommand({ cluster: 'prod', service: 'web', force: true }));
    const gone = await work(await lambdaEvent('ALARM'));
    expect(gone.result).toMatchObject({ ok: true, decisions: [{ decision: 'service-gone' }] });
  });
});
