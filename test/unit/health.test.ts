import { describe, expect, it } from 'vitest';
import { definesContainerHealthCheck, healthyTaskArns, notHealthyReason, type HealthContext } from '../../src/core/health.js';
import { nextReplacementBatch } from '../../src/core/replace.js';
import { aContainer, aTask, aTaskDefinition, taskDefinitionArnOf } from './builders.js';

const OLD = taskDefinitionArnOf('web', 1);
const NEW = taskDefinitionArnOf('web', 2);
const NOW = Date.parse('2026-01-01T00:10:00.000Z');
const secondsAgo = (seconds: number) => new Date(NOW - seconds * 1000).toISOString();
const TG = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/1';
const CI = 'arn:aws:ecs:eu-west-1:111122223333:container-instance/prod/0f1e';
const TG2 = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web-internal/2';

/** An instance target group with two bridge tasks' targets on one instance (i-0abc): host port 32768 initial, 32769 healthy. */
const ONE_INSTANCE_TWO_PORTS = {
  ec2InstanceIds: new Map([[CI, 'i-0abc']]),
  targetGroups: [
    {
      targetGroupArn: TG,
      containerName: 'web',
      containerPort: 8080,
      targets: [
        { id: 'i-0abc', port: 32768, state: 'initial' },
        { id: 'i-0abc', port: 32769, state: 'healthy' },
      ],
    },
  ],
} as const;

function context(overrides: Partial<HealthContext> = {}): HealthContext {
  return { targetTaskDefinitionArn: NEW, hasContainerHealthCheck: new Map(), targetGroups: [], now: NOW, ...overrides };
}

describe('when ECS counts a task toward minimumHealthyPercent', () => {
  it.each([
    ['a PENDING replacement', { lastStatus: 'PENDING' }, {}, false],
    ['a replacement RUNNING 10 s, no health check, no load balancer', { startedAt: secondsAgo(10) }, {}, false],
    ['a replacement RUNNING 40 s, no health check, no load balancer', { startedAt: secondsAgo(40) }, {}, true],
    ['an old task, however its start compares with this clock', { taskDefinitionArn: OLD, startedAt: secondsAgo(-3600) }, {}, true],
    [
      'a replacement with a container health check still UNKNOWN after 5 minutes',
      { startedAt: secondsAgo(300), healthStatus: 'UNKNOWN' },
      { hasContainerHealthCheck: new Map([[NEW, true]]) },
      false,
    ],
    [
      'a replacement whose container health check is HEALTHY at once',
      { startedAt: secondsAgo(1), healthStatus: 'HEALTHY' },
      { hasContainerHealthCheck: new Map([[NEW, true]]) },
      true,
    ],
    [
      'a load-balanced replacement RUNNING 5 minutes whose target is still initial',
      { startedAt: secondsAgo(300), privateIpv4Address: '10.0.1.5' },
      { targetGroups: [{ targetGroupArn: TG, containerPort: 8080, targets: [{ id: '10.0.1.5', port: 8080, state: 'initial' }] }] },
      false,
    ],
    [
      'a load-balanced replacement healthy in its target group, 1 s after RUNNING (no 40 s grace with a load balancer)',
      { startedAt: secondsAgo(1), privateIpv4Address: '10.0.1.5' },
      { targetGroups: [{ targetGroupArn: TG, containerPort: 8080, targets: [{ id: '10.0.1.5', port: 8080, state: 'healthy' }] }] },
      true,
    ],
    [
      'healthy in one target group, not yet registered in the other',
      { privateIpv4Address: '10.0.1.5' },
      {
        targetGroups: [
          { targetGroupArn: TG, targets: [{ id: '10.0.1.5', state: 'healthy' }] },
          { targetGroupArn: TG2, targets: [] },
        ],
      },
      false,
    ],
    [
      'a healthy target on another port is not this task\u2019s',
      { privateIpv4Address: '10.0.1.5' },
      { targetGroups: [{ targetGroupArn: TG, containerPort: 8080, targets: [{ id: '10.0.1.5', port: 9090, state: 'healthy' }] }] },
      false,
    ],
    [
      'target healthy but its container health check UNHEALTHY',
      { privateIpv4Address: '10.0.1.5', healthStatus: 'UNHEALTHY' },
      { hasContainerHealthCheck: new Map([[NEW, true]]), targetGroups: [{ targetGroupArn: TG, targets: [{ id: '10.0.1.5', state: 'healthy' }] }] },
      false,
    ],
    [
      'a bridge task on an instance target: healthy at its instance id and dynamic host port',
      { containerInstanceArn: CI, networkBindings: [{ containerName: 'web', containerPort: 8080, hostPort: 32769 }] },
      ONE_INSTANCE_TWO_PORTS,
      true,
    ],
    [
      'a bridge task whose own host port is still initial, though another task on the instance is healthy',
      { containerInstanceArn: CI, networkBindings: [{ containerName: 'web', containerPort: 8080, hostPort: 32768 }] },
      ONE_INSTANCE_TWO_PORTS,
      false,
    ],
    [
      'a bridge task whose instance id is unknown (no DescribeContainerInstances) never counts',
      { containerInstanceArn: CI, networkBindings: [{ containerName: 'web', containerPort: 8080, hostPort: 32769 }] },
      { targetGroups: [{ targetGroupArn: TG, containerPort: 8080, targets: [{ id: 'i-0abc', port: 32769, state: 'healthy' }] }] },
      false,
    ],
    [
      'a healthy host port of a sidecar container is not the service container\u2019s target',
      { containerInstanceArn: CI, networkBindings: [{ containerName: 'sidecar', containerPort: 9000, hostPort: 32769 }] },
      {
        ec2InstanceIds: new Map([[CI, 'i-0abc']]),
        targetGroups: [{ targetGroupArn: TG, containerName: 'web', containerPort: 8080, targets: [{ id: 'i-0abc', port: 32769, state: 'healthy' }] }],
      },
      false,
    ],
    [
      'an old task whose target is draining',
      { taskDefinitionArn: OLD, privateIpv4Address: '10.0.1.9' },
      { targetGroups: [{ targetGroupArn: TG, targets: [{ id: '10.0.1.9', state: 'draining' }] }] },
      false,
    ],
  ] as const)('%s → %s', (_, task, overrides, healthy) => {
    const snapshot = aTask({ taskDefinitionArn: NEW, lastStatus: 'RUNNING', ...task });
    expect(notHealthyReason(snapshot, context(overrides as Partial<HealthContext>)) === undefined).toBe(healthy);
  });

  it.each([
    ['an essential container with a health check', [aContainer({ healthCheck: { command: ['CMD', 'true'] } })], true],
    [
      'only a non-essential container has one',
      [aContainer({ name: 'app' }), aContainer({ name: 'side', essential: false, healthCheck: { command: ['CMD', 'true'] } })],
      false,
    ],
    ['none', [aContainer()], false],
  ])('definesContainerHealthCheck: %s → %s', (_, containers, expected) => {
    expect(definesContainerHealthCheck(aTaskDefinition({ containers }).definition)).toBe(expected);
  });
});

describe('replace batches count only healthy tasks', () => {
  const old = (id: number) => aTask({ id: `old-${id}`, taskDefinitionArn: OLD, lastStatus: 'RUNNING', startedAt: secondsAgo(3600 + id) });
  const replacement = (id: number, ip: string) =>
    aTask({ id: `new-${id}`, taskDefinitionArn: NEW, lastStatus: 'RUNNING', startedAt: secondsAgo(5), privateIpv4Address: ip });
  const tasks = [old(1), old(2), replacement(1, '10.0.0.1'), replacement(2, '10.0.0.2')];
  const input = { targetTaskDefinitionArn: NEW, desiredCount: 2, minimumHealthyPercent: 50 };

  it('holds while replacements run but their targets are not healthy yet (RUNNING alone would stop two)', () => {
    const targets = [
      { id: '10.0.0.1', state: 'initial' },
      { id: '10.0.0.2', state: 'initial' },
    ];
    const healthy = healthyTaskArns(tasks, context({ targetGroups: [{ targetGroupArn: TG, targets }] }));
    expect(nextReplacementBatch({ ...input, tasks }).stop).toHaveLength(2);
    expect(nextReplacementBatch({ ...input, tasks, healthyTaskArns: healthy })).toMatchObject({ stop: [], holdReason: 'replacements-starting' });
  });

  it('stops old tasks once every replacement is healthy, keeping the floor', () => {
    const targets = [
      { id: '10.0.0.1', state: 'healthy' },
      { id: '10.0.0.2', state: 'healthy' },
    ];
    const oldTargets = tasks.slice(0, 2).map((task, index) => ({ ...task, privateIpv4Address: `10.0.9.${index}` }));
    const all = [...oldTargets, ...tasks.slice(2)];
    const healthy = healthyTaskArns(
      all,
      context({
        targetGroups: [{ targetGroupArn: TG, targets: [...targets, { id: '10.0.9.0', state: 'healthy' }, { id: '10.0.9.1', state: 'healthy' }] }],
      }),
    );
    const step = nextReplacementBatch({ ...input, tasks: all, healthyTaskArns: healthy });
    // Oldest first: old-2 started before old-1.
    expect(step.stop.map((task) => task.taskArn)).toEqual([all[1]?.taskArn, all[0]?.taskArn]);
  });
});
