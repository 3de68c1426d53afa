// Alarm events and a policy as the unit tests of the alarm path build them.
import type { AlarmPolicy } from '../../src/core/alarm.js';
import { alarmAction, alarmNotification, snsDelivery } from '../alarm-events.js';

export const ALARM_ARN = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high';
export const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:ecs-roll-alarms';

/** The message CloudWatch publishes to the install topic when cpu-high (or `name`, same ARN) changes state. */
export function snsMessage(state: string, old = 'OK', name = 'cpu-high'): string {
  return alarmNotification({ name, arn: ALARM_ARN, state, previous: old }, [TOPIC_ARN]);
}

export function snsEvent(message: string) {
  return snsDelivery(TOPIC_ARN, message, {
    subject: 'ALARM: "cpu-high"',
    messageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
    at: new Date('2026-01-02T03:04:06.000Z'),
  });
}

/** CloudWatch's direct Lambda alarm action for cpu-high. */
export function lambdaEvent(state: string, previous = 'OK') {
  return alarmAction({ name: 'cpu-high', arn: ALARM_ARN, state, previous });
}

export const policy = (overrides: Partial<AlarmPolicy> = {}): AlarmPolicy => ({
  cluster: 'prod',
  service: 'web',
  adjustment: { kind: 'change', tasks: 2 },
  min: 1,
  max: 10,
  cooldownSeconds: 300,
  ...overrides,
});
