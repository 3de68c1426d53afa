// `ecs-roll scale policy put/list/remove` through the built CLI against the sandbox.
import { SetAlarmStateCommand, TagResourceCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, TagResourceCommand as EcsTagResourceCommand, PutAccountSettingCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { container, createService, registerTaskDefinition } from './helpers.js';
import {
  ALARM,
  alarm,
  alarmTags,
  cloudwatch,
  createAlarm,
  ecs,
  pagerArn,
  policy,
  policyTagValues,
  sandbox,
  serviceTags,
  topicArn,
  useScalePolicyWorld,
} from './scale-policy-world.js';

useScalePolicyWorld();

describe('ecs-roll scale policy', () => {
  it("put records the policy in the service's tags, adds the topic beside the alarm's other action and keeps the alarm as it was", async () => {
    const before = await alarm();
    const run = await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('prod/web +2 within 1..10, cooldown 300 s');
    expect(run.stdout).toContain("on service prod/web's tags");
    // One other action: said as such, never "its 1 other action(s)".
    expect(run.stdout).toContain('as well as its other action.');

    const after = await alarm();
    expect(after?.AlarmActions).toEqual([pagerArn, topicArn]);
    // Everything else the alarm had is still there.
    const comparable = (a: typeof after) => {
      const { AlarmActions: _a, AlarmConfigurationUpdatedTimestamp: _b, StateUpdatedTimestamp: _c, ...rest } = a ?? {};
      return rest;
    };
    expect(comparable(after)).toEqual(comparable(before));
    expect(after).toMatchObject({ OKActions: [pagerArn], Threshold: 75, DatapointsToAlarm: 2, AlarmDescription: 'web is busy', Unit: 'Percent' });
    // The alarm only says where to look; the policy is on the service, keyed by the alarm's ARN.
    expect(await alarmTags()).toEqual({ team: 'web', 'ecs-roll:service': 'prod/web' });
    const tags = await serviceTags();
    const key = Object.keys(tags).find((candidate) => candidate.startsWith('ecs-roll:alarm:'));
    expect(key).toMatch(/^ecs-roll:alarm:[0-9a-f]{32}$/);
    expect(tags[key ?? '']).toBe(`adjust=+2 min=1 max=10 cooldown=300 alarm=${ALARM}`);
  });

  it('put again replaces the policy and does not add the topic twice', async () => {
    expect((await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10')).code).toBe(0);
    const again = await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+50%', '--min', '2', '--max', '20', '--cooldown', '60', '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      kind: 'scale-policy',
      action: 'put',
      policy: { service: 'prod/web', adjust: '+50%', min: 2, max: 20, cooldown: 60 },
      replaced: { service: 'prod/web', adjust: '+2', min: 1, max: 10, cooldown: 300 },
      location: { kind: 'service-tags', service: 'prod/web', tagKey: expect.stringMatching(/^ecs-roll:alarm:/) },
      topicAdded: false,
    });
    expect((await alarm())?.AlarmActions).toEqual([pagerArn, topicArn]);
    expect(await policyTagValues()).toEqual([`adjust=+50pct min=2 max=20 cooldown=60 alarm=${ALARM}`]);
  });

  it("put for another service moves the alarm's policy there; a service without room for the tag is refused", async () => {
    await createService(ecs, 'prod', 'api', await registerTaskDefinition(ecs, 'api', [container('api', 'acme/api:1.0')]), { desiredCount: 2 });
    expect((await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10')).code).toBe(0);
    const moved = await policy('put', 'prod/api', '--alarm', ALARM, '--adjust', '+1', '--min', '1', '--max', '4');
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toContain('The alarm drove prod/web before; its policy there was removed.');
    expect(await policyTagValues('web')).toEqual([]);
    expect(await policyTagValues('api')).toEqual([`adjust=+1 min=1 max=4 cooldown=300 alarm=${ALARM}`]);
    expect(await alarmTags()).toMatchObject({ 'ecs-roll:service': 'prod/api' });

    // ECS allows 50 tags a resource (API_Tag); a service with 50 already cannot take the policy.
    const full = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services?.[0]?.serviceArn ?? '';
    await ecs.send(
      new EcsTagResourceCommand({ resourceArn: full, tags: Array.from({ length: 50 }, (_, index) => ({ key: `k${index}`, value: 'v' })) }),
    );
    const refused = await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('ECS allows 50');
    expect(refused.stderr).toContain('nothing was changed');
    expect(await policyTagValues('web')).toEqual([]);
    expect(await alarmTags()).toMatchObject({ 'ecs-roll:service': 'prod/api' });
  });

  it('list shows each policy with its alarm state, as one JSON document with --json', async () => {
    await createAlarm('unrelated');
    expect((await policy('list')).stdout).toContain('No service carries');
    expect((await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '=6', '--min', '2', '--max', '8')).code).toBe(0);
    await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: ALARM, StateValue: 'ALARM', StateReason: 'test' }));

    const human = await policy('list');
    expect(human.code).toBe(0);
    // A table: a header, and each column starting where its header does.
    const [header = '', row = ''] = human.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ALARM +STATE +SERVICE +ADJUST +MIN\.\.MAX +COOLDOWN +WHERE$/);
    expect(row.split(/ {2,}/)).toEqual([ALARM, 'ALARM', 'prod/web', '=6', '2..8', '300 s', 'service tags']);
    for (const column of ['STATE', 'SERVICE', 'ADJUST', 'MIN..MAX', 'COOLDOWN', 'WHERE']) {
      expect(row[header.indexOf(column) - 1]).toBe(' ');
      expect(row[header.indexOf(column)]).not.toBe(' ');
    }
    expect(human.stdout).not.toContain('unrelated');

    const listed = await policy('list', '--json');
    expect(listed.code).toBe(0);
    expect(listed.stderr).toBe('');
    expect(JSON.parse(listed.stdout)).toEqual({
      kind: 'scale-policies',
      version: 1,
      alarmsExamined: 2,
      servicesExamined: 1,
      policies: [
        {
          alarm: ALARM,
          alarmArn: expect.stringContaining(`:alarm:${ALARM}`),
          state: 'ALARM',
          actionsEnabled: true,
          alarmActions: [pagerArn, topicArn],
          policy: { service: 'prod/web', adjust: '=6', min: 2, max: 8, cooldown: 300 },
          invalid: null,
          location: { kind: 'service-tags', service: 'prod/web', tagKey: expect.stringMatching(/^ecs-roll:alarm:[0-9a-f]{32}$/) },
          unreached: null,
        },
      ],
    });
  });

  it("list shows a policy an older install left in the alarm's tags, and says the worker does not read it there", async () => {
    const arn = (await alarm())?.AlarmArn ?? '';
    await cloudwatch.send(
      new TagResourceCommand({
        ResourceARN: arn,
        Tags: [
          { Key: 'ecs-roll:service', Value: 'prod/web' },
          { Key: 'ecs-roll:adjust', Value: '+2' },
          { Key: 'ecs-roll:min', Value: '1' },
          { Key: 'ecs-roll:max', Value: '10' },
        ],
      }),
    );
    const listed = JSON.parse((await policy('list', '--json')).stdout) as { policies: Record<string, unknown>[] };
    expect(listed.policies).toEqual([
      expect.objectContaining({
        alarm: ALARM,
        policy: { service: 'prod/web', adjust: '+2', min: 1, max: 10, cooldown: 300 },
        location: { kind: 'alarm-tags' },
        unreached: expect.stringContaining('`ecs-roll install` moves it'),
      }),
    ]);
    expect((await policy('list')).stdout).toContain('alarm tags (old)');
  });

  it('remove takes the topic out, keeps the other actions and tags, and says so when there was no policy', async () => {
    expect((await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10')).code).toBe(0);
    const removed = await policy('remove', 'prod/web', '--alarm', ALARM);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain(`Removed the scaling policy for alarm ${ALARM} from service prod/web.`);
    expect(removed.stdout).toContain('its other action stays.');
    expect(removed.stdout).not.toMatch(/\(s\)/);
    expect((await alarm())?.AlarmActions).toEqual([pagerArn]);
    expect((await alarm())?.OKActions).toEqual([pagerArn]);
    expect(await alarmTags()).toEqual({ team: 'web' });
    expect(await policyTagValues()).toEqual([]);

    const again = await policy('remove', 'prod/web', '--alarm', ALARM, '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ removed: false, topicRemoved: false, note: expect.stringContaining('held no scaling policy') });
    expect((await alarm())?.AlarmActions).toEqual([pagerArn]);
  });

  it('remove refuses an alarm whose policy is for another service', async () => {
    expect((await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10')).code).toBe(0);
    const run = await policy('remove', 'prod/api', '--alarm', ALARM);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('carries the policy for prod/web');
    expect((await alarm())?.AlarmActions).toEqual([pagerArn, topicArn]);
    expect(await policyTagValues()).toHaveLength(1);
  });

  it.each([
    [['put', 'web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10'], /<cluster>\/<service>/],
    [['put', 'a/b/c', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10'], /<cluster>\/<service>/],
    [['put', 'prod/web', '--alarm', ALARM, '--adjust', '2', '--min', '1', '--max', '10'], /must be \+n/],
    [['put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '5', '--max', '3'], /above --max/],
    [['put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1.5', '--max', '3'], /whole number/],
    [['put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '3', '--cooldown', '-5'], /--cooldown must be a whole number/],
    [['put', 'prod/web', '--alarm', ALARM, '--adjust', '=12', '--min', '1', '--max', '10'], /outside/],
    [['put', 'prod/web', '--alarm', '', '--adjust', '+2', '--min', '1', '--max', '10'], /--alarm/],
    [['put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10', '--name', 'bad name'], /--name/],
    [['put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1'], /--max/],
    [['remove', 'web', '--alarm', ALARM], /<cluster>\/<service>/],
  ])('refuses %j with exit 2 before any AWS call', async (args, message) => {
    await sandbox.clearCalls();
    const run = await policy(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(await sandbox.calls()).toEqual([]);
  });

  it('refuses a missing service, a DAEMON service and a missing alarm with exit 2, and changes nothing', async () => {
    await createService(ecs, 'prod', 'agent', await registerTaskDefinition(ecs, 'agent', [container('agent', 'acme/agent:1')]), {
      schedulingStrategy: 'DAEMON',
      desiredCount: undefined,
    });
    const cases: [string[], RegExp][] = [
      [['put', 'prod/nope', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10'], /no service named nope/],
      [['put', 'prod/agent', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10'], /DAEMON/],
      [['put', 'prod/web', '--alarm', 'nope', '--adjust', '+2', '--min', '1', '--max', '10'], /no metric alarm named "nope"/],
      [['remove', 'prod/web', '--alarm', 'nope'], /no metric alarm named "nope"/],
    ];
    for (const [args, message] of cases) {
      const run = await policy(...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    // A service with a pre-2021 short ARN, which ECS refuses to tag (moto works the ARN out from the account setting).
    await ecs.send(new PutAccountSettingCommand({ name: 'serviceLongArnFormat', value: 'disabled' }));
    const short = await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10');
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/short ARN .*service\/web\).*migrate it/);
    expect((await alarm())?.AlarmActions).toEqual([pagerArn]);
    expect(await alarmTags()).toEqual({ team: 'web' });
    expect(await policyTagValues()).toEqual([]);
  });

  it('tells the user to install first when the topic is missing, exit 1', async () => {
    const run = await policy('put', 'prod/web', '--alarm', ALARM, '--adjust', '+2', '--min', '1', '--max', '10', '--name', 'other');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('other-alarms');
    expect(run.stderr).toContain('ecs-roll install');
    expect((await alarm())?.AlarmActions).toEqual([pagerArn]);
    expect(await alarmTags()).toEqual({ team: 'web' });
  });
});
