import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import type { ScalePolicyPorts } from '../../src/app/scale-policy.js';
import { listScalePolicies } from '../../src/app/scale-policy-list.js';
import { parsePolicyInput } from '../../src/core/alarm.js';
import { MissingClusterError } from '../../src/core/errors.js';
import type { Tag } from '../../src/core/model.js';
import { ALARM_SERVICE_TAG, servicePolicyTag, servicePolicyTagKey } from '../../src/core/scale-policy.js';
import { awsError, FakePolicyAws } from '../fakes.js';
import { aService } from './builders.js';

// In-memory CloudWatch and ECS (test/fakes.ts): the list's own decisions against states each case sets up.

const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:ecs-roll-alarms';
const arnOf = (name: string) => `arn:aws:cloudwatch:eu-west-1:111122223333:alarm:${name}`;
const anAlarm = (name: string, overrides: Pick<MetricAlarm, 'StateValue' | 'ActionsEnabled'> = {}): MetricAlarm & { AlarmArn: string } => ({
  AlarmName: name,
  AlarmArn: arnOf(name),
  StateValue: 'OK',
  AlarmActions: [TOPIC],
  ...overrides,
});
const policy = (service: string, adjust = '+1') => parsePolicyInput({ service, adjust, min: '1', max: '10' });
/** The tag `scale policy put` writes on the service for `alarm`. */
const policyTag = (service: string, alarm: string, adjust = '+1') => servicePolicyTag(policy(service, adjust), { arn: arnOf(alarm), name: alarm });
const pointsAt = (service: string): Tag => ({ key: ALARM_SERVICE_TAG, value: service });
const legacyTags = (service: string): Tag[] => [
  pointsAt(service),
  { key: 'ecs-roll:adjust', value: '+2' },
  { key: 'ecs-roll:min', value: '1' },
  { key: 'ecs-roll:max', value: '10' },
];
const onService = (service: string, alarm: string) => ({ kind: 'service-tags', service, tagKey: servicePolicyTagKey(arnOf(alarm)) });
const LEGACY = "an older install kept it in the alarm's tags, which the worker no longer reads; `ecs-roll install` moves it to the service";
const MISSING = 'no alarm in this region has the ARN this tag names';

/** The fake's ports with some ECS calls answered differently. */
const withServices = (aws: FakePolicyAws, services: Partial<ScalePolicyPorts['services']>): ScalePolicyPorts => ({
  ...aws.ports,
  services: { ...aws.ports.services, ...services },
});
/** The service of each listed row whose policy is on a service, in order. */
const servicesListed = (listed: Awaited<ReturnType<typeof listScalePolicies>>) =>
  listed.rows.map((row) => (row.location.kind === 'service-tags' ? row.location.service : ''));

const web = aService({ serviceName: 'web' });
const api = aService({ serviceName: 'api' });

describe('scale policy list, against in-memory CloudWatch and ECS', () => {
  it('a policy on the service, whose alarm points back at it, is a reached row with the alarm as DescribeAlarms has it', async () => {
    const aws = new FakePolicyAws([web, api]);
    aws.addAlarm(anAlarm('web-busy', { StateValue: 'ALARM' }), [pointsAt('prod/web')]);
    aws.serviceTags.set(web.serviceArn, [{ key: 'team', value: 'shop' }, policyTag('prod/web', 'web-busy', '+2')]);
    expect(await listScalePolicies(aws.ports)).toEqual({
      alarmsExamined: 1,
      servicesExamined: 2,
      rows: [
        {
          alarm: 'web-busy',
          alarmArn: arnOf('web-busy'),
          state: 'ALARM',
          actionsEnabled: true,
          alarmActions: [TOPIC],
          policy: policy('prod/web', '+2'),
          invalid: null,
          location: onService('prod/web', 'web-busy'),
          unreached: null,
        },
      ],
    });
  });

  it.each<{ name: string; alarms: [MetricAlarm & { AlarmArn: string }, Tag[]][]; webTags: Tag[]; rows: Record<string, unknown>[] }>([
    {
      name: 'a tag naming an alarm that is not in the region: the name the tag wrote, no state, unreached',
      alarms: [],
      webTags: [policyTag('prod/web', 'gone')],
      rows: [
        {
          alarm: 'gone',
          alarmArn: null,
          state: null,
          actionsEnabled: true,
          alarmActions: [],
          policy: policy('prod/web'),
          invalid: null,
          location: onService('prod/web', 'gone'),
          unreached: MISSING,
        },
      ],
    },
    {
      name: "the alarm's ecs-roll:service tag names another service: unreached, and which",
      alarms: [[anAlarm('web-busy'), [pointsAt('prod/api')]]],
      webTags: [policyTag('prod/web', 'web-busy')],
      rows: [{ alarm: 'web-busy', location: onService('prod/web', 'web-busy'), unreached: "the alarm's ecs-roll:service tag names prod/api" }],
    },
    {
      name: 'the alarm names no service at all: unreached',
      alarms: [[anAlarm('web-busy'), []]],
      webTags: [policyTag('prod/web', 'web-busy')],
      rows: [{ alarm: 'web-busy', unreached: "the alarm's ecs-roll:service tag names no service" }],
    },
    {
      name: 'actions disabled on the alarm',
      alarms: [[anAlarm('web-busy', { ActionsEnabled: false }), [pointsAt('prod/web')]]],
      webTags: [policyTag('prod/web', 'web-busy')],
      rows: [{ alarm: 'web-busy', actionsEnabled: false, unreached: null }],
    },
    {
      name: "an invalid policy for an alarm that exists: the alarm's name, no policy, why it does not parse",
      alarms: [[anAlarm('web-busy'), [pointsAt('prod/web')]]],
      webTags: [{ key: servicePolicyTagKey(arnOf('web-busy')), value: 'adjust=+1 min=5 max=2 cooldown=300 alarm=web-busy' }],
      rows: [
        {
          alarm: 'web-busy',
          state: 'OK',
          policy: null,
          invalid: expect.stringContaining('does not parse'),
          location: onService('prod/web', 'web-busy'),
          unreached: null,
        },
      ],
    },
    {
      name: 'an invalid policy tag that names no alarm: `?`, and unreached',
      alarms: [],
      webTags: [{ key: 'ecs-roll:alarm:ffff', value: 'garbage' }],
      rows: [
        {
          alarm: '?',
          alarmArn: null,
          policy: null,
          invalid: 'tag ecs-roll:alarm:ffff is not "adjust=… min=… max=… cooldown=… alarm=…"',
          location: { kind: 'service-tags', service: 'prod/web', tagKey: 'ecs-roll:alarm:ffff' },
          unreached: MISSING,
        },
      ],
    },
    {
      name: "a policy an older install left in the alarm's tags: listed there, with the service it names, unreached",
      alarms: [[anAlarm('old-busy'), legacyTags('prod/web')]],
      webTags: [],
      rows: [
        {
          alarm: 'old-busy',
          alarmArn: arnOf('old-busy'),
          state: 'OK',
          policy: parsePolicyInput({ service: 'prod/web', adjust: '+2', min: '1', max: '10' }),
          invalid: null,
          location: { kind: 'alarm-tags' },
          unreached: LEGACY,
        },
      ],
    },
    {
      name: "an older install's policy missing its bounds: invalid, in the alarm's tags",
      alarms: [[anAlarm('old-busy'), [pointsAt('prod/web'), { key: 'ecs-roll:adjust', value: '+2' }]]],
      webTags: [],
      rows: [{ alarm: 'old-busy', policy: null, invalid: expect.stringContaining('lacks ecs-roll:adjust'), location: { kind: 'alarm-tags' } }],
    },
    {
      name: 'an alarm with only the pointer, and a service with no policy tag: nothing to list',
      alarms: [[anAlarm('web-busy'), [pointsAt('prod/web')]]],
      webTags: [{ key: 'ecs-roll:alarmist', value: 'not a policy' }],
      rows: [],
    },
  ])('$name', async ({ alarms, webTags, rows }) => {
    const aws = new FakePolicyAws([web]);
    for (const [alarm, tags] of alarms) aws.addAlarm(alarm, tags);
    aws.serviceTags.set(web.serviceArn, webTags);
    const listed = await listScalePolicies(aws.ports);
    expect(listed.rows).toEqual(rows.map((row) => expect.objectContaining(row)));
    expect(listed.alarmsExamined).toBe(alarms.length);
  });

  it.each(['ResourceNotFound', 'ResourceNotFoundException'])(
    'an alarm deleted between DescribeAlarms and ListTagsForResource (%s) has no tags: its old policy is not listed, the list goes on',
    async (errorName) => {
      const aws = new FakePolicyAws([web]);
      aws.addAlarm(anAlarm('deleted'), legacyTags('prod/web'));
      aws.failTags.set(arnOf('deleted'), awsError(errorName));
      aws.addAlarm(anAlarm('web-busy'), [pointsAt('prod/web')]);
      aws.serviceTags.set(web.serviceArn, [policyTag('prod/web', 'deleted'), policyTag('prod/web', 'web-busy')]);
      const listed = await listScalePolicies(aws.ports);
      expect(listed.alarmsExamined).toBe(2);
      expect(listed.rows.map((row) => [row.alarm, row.location.kind, row.unreached])).toEqual([
        ['deleted', 'service-tags', "the alarm's ecs-roll:service tag names no service"],
        ['web-busy', 'service-tags', null],
      ]);
    },
  );

  it('any other failure to read an alarm tags fails the list', async () => {
    const aws = new FakePolicyAws([web]);
    aws.addAlarm(anAlarm('web-busy'), legacyTags('prod/web'));
    aws.failTags.set(arnOf('web-busy'), awsError('AccessDeniedException', 'not allowed: cloudwatch:ListTagsForResource'));
    await expect(listScalePolicies(aws.ports)).rejects.toThrow(/cloudwatch:ListTagsForResource/);
  });

  it("sorts by alarm name (code units), and for one alarm puts an older install's policy before the service's", async () => {
    const aws = new FakePolicyAws([web, api]);
    aws.addAlarm(anAlarm('c-busy'), [pointsAt('prod/api')]);
    aws.addAlarm(anAlarm('a-busy'), [...legacyTags('prod/web').slice(1), pointsAt('prod/web')]);
    aws.addAlarm(anAlarm('B-busy'), [pointsAt('prod/api')]);
    aws.serviceTags.set(api.serviceArn, [policyTag('prod/api', 'c-busy'), policyTag('prod/api', 'B-busy')]);
    aws.serviceTags.set(web.serviceArn, [policyTag('prod/web', 'a-busy'), policyTag('prod/web', 'zz-gone')]);
    const listed = await listScalePolicies(aws.ports);
    expect(listed.rows.map((row) => `${row.alarm} ${row.location.kind}`)).toEqual([
      'B-busy service-tags',
      'a-busy alarm-tags',
      'a-busy service-tags',
      'c-busy service-tags',
      'zz-gone service-tags',
    ]);
  });

  it('examines every ACTIVE service of every cluster, at most 10 to a DescribeServices call, and counts them', async () => {
    const many = Array.from({ length: 12 }, (_, index) => aService({ serviceName: `svc-${index}` }));
    const retired = aService({ clusterName: 'stage', serviceName: 'web', status: 'INACTIVE' });
    const staged = aService({ clusterName: 'stage', serviceName: 'api' });
    const aws = new FakePolicyAws([...many, retired, staged]);
    aws.addAlarm(anAlarm('busy'), [pointsAt('stage/api')]);
    aws.serviceTags.set(retired.serviceArn, [policyTag('stage/web', 'busy')]);
    aws.serviceTags.set(staged.serviceArn, [policyTag('stage/api', 'busy')]);
    aws.serviceTags.set(many[11]?.serviceArn ?? '', [policyTag('prod/svc-11', 'busy')]);
    const listed = await listScalePolicies(aws.ports);
    expect(listed.servicesExamined).toBe(13);
    expect(servicesListed(listed)).toEqual(['prod/svc-11', 'stage/api']);
  });

  it('passes over a cluster that is gone by the time its services are listed (DeleteCluster leaves it listed a while)', async () => {
    const staged = aService({ clusterName: 'stage', serviceName: 'api' });
    const aws = new FakePolicyAws([web, staged]);
    aws.addAlarm(anAlarm('busy'), [pointsAt('prod/web')]);
    aws.serviceTags.set(web.serviceArn, [policyTag('prod/web', 'busy')]);
    const listed = await listScalePolicies(
      withServices(aws, {
        listServiceArns: async (cluster: string) => {
          if (cluster === staged.clusterArn) throw new MissingClusterError('cluster stage does not exist');
          return aws.ports.services.listServiceArns(cluster);
        },
      }),
    );
    expect(listed.servicesExamined).toBe(1);
    expect(servicesListed(listed)).toEqual(['prod/web']);
  });

  it('does not read the tags of a service with a pre-2021 short ARN, which ECS refuses to tag, and still counts it', async () => {
    const legacy = aService({ serviceName: 'old', serviceArn: 'arn:aws:ecs:eu-west-1:111122223333:service/old' });
    const aws = new FakePolicyAws([web, legacy]);
    aws.addAlarm(anAlarm('busy'), [pointsAt('prod/web')]);
    aws.serviceTags.set(web.serviceArn, [policyTag('prod/web', 'busy')]);
    const listed = await listScalePolicies(
      withServices(aws, {
        serviceTags: async (arn: string) => {
          if (arn === legacy.serviceArn) throw awsError('InvalidParameterException', 'Long arn format must be used for tagging operations');
          return aws.ports.services.serviceTags(arn);
        },
      }),
    );
    expect(listed.servicesExamined).toBe(2);
    expect(servicesListed(listed)).toEqual(['prod/web']);
  });

  it('reads alarm tags at most 4 at a time: CloudWatch throttles its tagging API low', async () => {
    const aws = new FakePolicyAws([web]);
    for (let index = 0; index < 10; index += 1) aws.addAlarm(anAlarm(`alarm-${index}`));
    const listed = await listScalePolicies(aws.ports);
    expect(listed).toEqual({ alarmsExamined: 10, servicesExamined: 1, rows: [] });
    expect(aws.mostAlarmTagReads).toBe(4);
  });
});
