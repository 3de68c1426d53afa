// CloudWatch's ListTagsForResource for an alarm that is gone (cloudwatch_tags.py): AWS answers 404
// ResourceNotFound where moto answers an empty list, and `scale policy list` must meet the real answer.
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  ResourceNotFound,
  TagResourceCommand,
} from '@aws-sdk/client-cloudwatch';
import { beforeEach, describe, expect, it } from 'vitest';
import { putCpuAlarm } from '../alarms.js';
import { REGION } from '../ecs.js';
import { sandboxControl } from './client.js';
import { sandboxEndpoint } from './endpoint.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
const cloudwatch = new CloudWatchClient({ endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

async function alarmArn(name: string): Promise<string> {
  const arn = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0]?.AlarmArn;
  if (arn === undefined) throw new Error(`no alarm ${name}`);
  return arn;
}

beforeEach(async () => {
  await sandbox.reset();
});

describe('CloudWatch ListTagsForResource', () => {
  it("answers an existing alarm's tags", async () => {
    await putCpuAlarm(cloudwatch, 'web-cpu');
    const arn = await alarmArn('web-cpu');
    await cloudwatch.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: 'team', Value: 'web' }] }));
    expect((await cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags).toEqual([{ Key: 'team', Value: 'web' }]);
  });

  it('answers ResourceNotFound (404) for an alarm deleted since it was described', async () => {
    await putCpuAlarm(cloudwatch, 'web-cpu');
    const arn = await alarmArn('web-cpu');
    await cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: ['web-cpu'] }));
    const refused = cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
    await expect(refused).rejects.toBeInstanceOf(ResourceNotFound);
    await expect(refused).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });
});
