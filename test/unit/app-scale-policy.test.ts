import { describe, expect, it } from 'vitest';
import { putScalePolicy, removeScalePolicy, type ScalePolicyPorts } from '../../src/app/scale-policy.js';
import { parsePolicyInput } from '../../src/core/alarm.js';
import type { ServiceSnapshot } from '../../src/core/model.js';
import { ALARM_SERVICE_TAG, servicePolicyTagKey } from '../../src/core/scale-policy.js';
import { FakePolicyAws } from '../fakes.js';
import { aService } from './builders.js';

const ALARM_ARN = 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:web-busy';
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:ecs-roll-alarms';
const OTHER_ACTION = 'arn:aws:sns:eu-west-1:111122223333:pager';

/** In-memory CloudWatch and ECS (test/fakes.ts): every write lands in the fake's maps, so each test reads the outcome back. */
function world(services: ServiceSnapshot[]) {
  const aws = new FakePolicyAws(services);
  aws.topics.set('ecs-roll-alarms', TOPIC);
  const alarm = aws.addAlarm({ AlarmName: 'web-busy', AlarmArn: ALARM_ARN, AlarmActions: [OTHER_ACTION], StateValue: 'OK' });
  return { ports: aws.ports, serviceTags: aws.serviceTags, alarm, alarmTags: () => aws.alarmTags.get(ALARM_ARN) ?? [] };
}

const web = aService({ serviceName: 'web' });
const api = aService({ serviceName: 'api' });
const policyFor = (service: string) => parsePolicyInput({ service: `prod/${service}`, adjust: '+1', min: '1', max: '10' });
const put = (service: string, ports: ScalePolicyPorts) =>
  putScalePolicy({ policy: policyFor(service), alarmName: 'web-busy', topicName: 'ecs-roll-alarms' }, ports);
const remove = (service: string, ports: ScalePolicyPorts) =>
  removeScalePolicy({ cluster: 'prod', service, alarmName: 'web-busy', topicName: 'ecs-roll-alarms' }, ports);

describe('scale policy put and remove, against in-memory CloudWatch and ECS', () => {
  it('put tags the service, points the alarm at it and adds the topic to its actions, keeping the others', async () => {
    const { ports, serviceTags, alarm, alarmTags } = world([web, api]);
    const result = await put('web', ports);
    expect(serviceTags.get(web.serviceArn)?.map((tag) => tag.key)).toEqual([servicePolicyTagKey(ALARM_ARN)]);
    expect(alarmTags()).toEqual([{ key: ALARM_SERVICE_TAG, value: 'prod/web' }]);
    expect(alarm.AlarmActions).toEqual([OTHER_ACTION, TOPIC]);
    expect(result).toMatchObject({ topicAdded: true, replaced: undefined, movedFrom: undefined });
  });

  it('pointing the alarm at another service moves the policy there', async () => {
    const { ports, serviceTags } = world([web, api]);
    await put('web', ports);
    const moved = await put('api', ports);
    expect(moved).toMatchObject({ movedFrom: 'prod/web', topicAdded: false });
    expect(serviceTags.get(web.serviceArn)).toEqual([]);
    expect(serviceTags.get(api.serviceArn)?.map((tag) => tag.key)).toEqual([servicePolicyTagKey(ALARM_ARN)]);
  });

  it('refuses a DAEMON service before any change', async () => {
    const daemon = aService({ serviceName: 'agent', schedulingStrategy: 'DAEMON' });
    const { ports, serviceTags, alarm } = world([daemon]);
    await expect(put('agent', ports)).rejects.toThrow(/DAEMON/);
    expect(serviceTags.get(daemon.serviceArn)).toEqual([]);
    expect(alarm.AlarmActions).toEqual([OTHER_ACTION]);
  });

  it('refuses a service with a pre-2021 short ARN, which ECS will not tag, before any change', async () => {
    const legacy = aService({ serviceName: 'legacy', serviceArn: 'arn:aws:ecs:eu-west-1:111122223333:service/legacy' });
    const { ports, serviceTags, alarm } = world([legacy]);
    const refusal = put('legacy', ports);
    await expect(refusal).rejects.toThrow(/short ARN .*service\/legacy.*migrate it/);
    await expect(refusal).rejects.toMatchObject({ exitCode: 2 });
    expect(serviceTags.get(legacy.serviceArn)).toEqual([]);
    expect(alarm.AlarmActions).toEqual([OTHER_ACTION]);
  });

  it('remove takes the policy and the topic away and leaves the alarm\u2019s other actions', async () => {
    const { ports, serviceTags, alarm, alarmTags } = world([web]);
    await put('web', ports);
    expect(await remove('web', ports)).toEqual({ hadPolicy: true, topicRemoved: [TOPIC], alarmActions: [OTHER_ACTION] });
    expect(serviceTags.get(web.serviceArn)).toEqual([]);
    expect(alarmTags()).toEqual([]);
    expect(alarm.AlarmActions).toEqual([OTHER_ACTION]);
  });

  it('remove for a service the alarm does not drive is refused and changes nothing', async () => {
    const { ports, serviceTags } = world([web, api]);
    await put('web', ports);
    await expect(remove('api', ports)).rejects.toThrow(/carries the policy for prod\/web/);
    expect(serviceTags.get(web.serviceArn)?.length).toBe(1);
  });
});
