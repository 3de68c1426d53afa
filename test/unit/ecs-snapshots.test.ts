// The SDK's answers turned into plain, JSON-safe snapshots: what the planner and the --json output see.
import { describe, expect, it } from 'vitest';
import { toPlainJson, toServiceSnapshot } from '../../src/aws/ecs-snapshots.js';
import { clusterArnOf, taskDefinitionArnOf } from './builders.js';
import { sdkService } from './sdk-ecs-double.js';

describe('toPlainJson', () => {
  it.each([
    { case: 'a Date', value: new Date('2026-01-02T03:04:05.678Z'), plain: '2026-01-02T03:04:05.678Z' },
    { case: 'undefined fields', value: { a: 1, b: undefined, c: null }, plain: { a: 1, c: null } },
    {
      case: 'nested Dates and undefineds',
      value: { at: new Date(0), list: [{ when: new Date(1000), gone: undefined }], deep: { deeper: { x: undefined, y: 'y' } } },
      plain: { at: '1970-01-01T00:00:00.000Z', list: [{ when: '1970-01-01T00:00:01.000Z' }], deep: { deeper: { y: 'y' } } },
    },
    { case: 'scalars', value: 'text', plain: 'text' },
    { case: 'numbers and booleans', value: { n: 0, f: false, s: '' }, plain: { n: 0, f: false, s: '' } },
    { case: 'null', value: null, plain: null },
  ])('$case', ({ value, plain }) => {
    const converted = toPlainJson(value);
    expect(converted).toStrictEqual(plain);
    expect(JSON.parse(JSON.stringify(converted))).toStrictEqual(plain);
  });

  it('has no undefined-valued keys left', () => {
    expect(Object.keys(toPlainJson({ a: undefined, b: 1 }) as object)).toEqual(['b']);
  });
});

describe('toServiceSnapshot', () => {
  it('defaults to minimumHealthyPercent 100 and maximumPercent 200 without a deployment configuration', () => {
    const { deploymentConfiguration: _none, ...service } = sdkService('prod', 'web');
    expect(toServiceSnapshot(service)).toMatchObject({ minimumHealthyPercent: 100, maximumPercent: 200 });
  });

  it.each([
    { configuration: {}, min: 100, max: 200 },
    { configuration: { minimumHealthyPercent: 0 }, min: 0, max: 200 },
    { configuration: { maximumPercent: 150 }, min: 100, max: 150 },
    { configuration: { minimumHealthyPercent: 50, maximumPercent: 100 }, min: 50, max: 100 },
  ])('takes $configuration as min $min / max $max', ({ configuration, min, max }) => {
    expect(toServiceSnapshot(sdkService('prod', 'web', { deploymentConfiguration: configuration }))).toMatchObject({
      minimumHealthyPercent: min,
      maximumPercent: max,
    });
  });

  it('maps names, controller, deployments and the newest five events', () => {
    const snapshot = toServiceSnapshot(
      sdkService('prod', 'web', {
        deploymentController: { type: 'CODE_DEPLOY' },
        schedulingStrategy: 'DAEMON',
        events: Array.from({ length: 8 }, (_, index) => ({
          id: `e${index}`,
          message: `event ${index}`,
          createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 8 - index)),
        })),
      }),
    );
    expect(snapshot).toMatchObject({
      clusterArn: clusterArnOf('prod'),
      clusterName: 'prod',
      serviceName: 'web',
      deploymentController: 'CODE_DEPLOY',
      schedulingStrategy: 'DAEMON',
      launchType: 'FARGATE',
    });
    expect(snapshot.deployments).toEqual([
      {
        id: 'ecs-svc/1',
        status: 'PRIMARY',
        taskDefinitionArn: taskDefinitionArnOf('web', 1),
        desiredCount: 2,
        runningCount: 2,
        pendingCount: 0,
        failedTasks: 0,
        rolloutState: 'COMPLETED',
      },
    ]);
    expect(snapshot.events.map((event) => event.message)).toEqual(['event 0', 'event 1', 'event 2', 'event 3', 'event 4']);
    expect(snapshot.events[0]?.createdAt).toBe('2026-01-01T00:00:08.000Z');
    expect(JSON.parse(JSON.stringify(snapshot))).toStrictEqual(snapshot);
  });

  it('defaults controller to ECS and strategy to REPLICA', () => {
    expect(toServiceSnapshot({ serviceName: 'web' })).toMatchObject({
      deploymentController: 'ECS',
      schedulingStrategy: 'REPLICA',
      deployments: [],
      events: [],
    });
  });
});
