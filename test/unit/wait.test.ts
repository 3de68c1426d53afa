import { describe, expect, it } from 'vitest';
import type { DeploymentSnapshot } from '../../src/core/model.js';
import { assessDeployment, primaryDeploymentId, stuckReason } from '../../src/core/wait.js';
import { aDeployment, aService, taskDefinitionArnOf } from './builders.js';

const OLD = taskDefinitionArnOf('web', 1);
const NEW = taskDefinitionArnOf('web', 2);
const OURS = 'ecs-svc/2222222222222222222';

/** A service mid-rollout: our deployment of NEW is PRIMARY, the old one ACTIVE. */
function serviceWith(ours: Partial<DeploymentSnapshot> | undefined, others: DeploymentSnapshot[] = [], counts = { desired: 2, running: 2 }) {
  return aService({
    taskDefinitionArn: NEW,
    desiredCount: counts.desired,
    runningCount: counts.running,
    deployments: [...(ours === undefined ? [] : [aDeployment({ id: OURS, taskDefinitionArn: NEW, ...ours })]), ...others],
  });
}

const oldActive = aDeployment({ id: 'ecs-svc/1111111111111111111', status: 'ACTIVE', taskDefinitionArn: OLD, rolloutState: 'COMPLETED' });

describe('assessDeployment', () => {
  it('COMPLETED → completed', () => {
    expect(assessDeployment(serviceWith({ rolloutState: 'COMPLETED' }), OURS).state).toBe('completed');
  });

  it('FAILED → failed with the reason ECS gave', () => {
    const reason = 'ECS deployment circuit breaker: tasks failed to start.';
    const assessment = assessDeployment(serviceWith({ rolloutState: 'FAILED', rolloutStateReason: reason, failedTasks: 3 }), OURS);
    expect(assessment).toMatchObject({ state: 'failed', reason });
    expect(assessment.progress.failedTasks).toBe(3);
  });

  it('FAILED without a reason still fails, with a generic reason', () => {
    const assessment = assessDeployment(serviceWith({ rolloutState: 'FAILED' }), OURS);
    expect(assessment.state).toBe('failed');
    expect(assessment.state === 'failed' && assessment.reason.length).toBeGreaterThan(0);
  });

  it('IN_PROGRESS → in-progress with the tracked deployment’s counts', () => {
    const assessment = assessDeployment(
      serviceWith({ rolloutState: 'IN_PROGRESS', desiredCount: 4, runningCount: 1, pendingCount: 2 }, [oldActive]),
      OURS,
    );
    expect(assessment).toEqual({
      state: 'in-progress',
      progress: { running: 1, pending: 2, desired: 4, failedTasks: 0, rolloutState: 'IN_PROGRESS' },
    });
  });

  it('the tracked deployment gone (rolled back) → failed, although the service is stable on the old revision', () => {
    const rolledBack = aService({
      taskDefinitionArn: OLD,
      desiredCount: 2,
      runningCount: 2,
      deployments: [aDeployment({ id: 'ecs-svc/3333333333333333333', status: 'PRIMARY', taskDefinitionArn: OLD, rolloutState: 'COMPLETED' })],
    });
    const assessment = assessDeployment(rolledBack, OURS);
    expect(assessment.state).toBe('failed');
    expect(assessment.state === 'failed' ? assessment.reason : '').toContain(OURS);
    // Names the revision the service is back on (as `web:1` or its full ARN).
    expect(assessment.state === 'failed' ? assessment.reason : '').toContain('web:1');
    expect(assessment.progress).toMatchObject({ running: 0, desired: 2 });
  });

  it.each([{ rolloutState: 'IN_PROGRESS' as const }, { rolloutState: undefined }])(
    'superseded (ACTIVE, another PRIMARY, rolloutState $rolloutState) → failed naming the new deployment',
    ({ rolloutState }) => {
      const theirs = aDeployment({
        id: 'ecs-svc/9999999999999999999',
        status: 'PRIMARY',
        taskDefinitionArn: taskDefinitionArnOf('web', 3),
        rolloutState: 'IN_PROGRESS',
      });
      const service = serviceWith({ status: 'ACTIVE', ...(rolloutState === undefined ? {} : { rolloutState }) }, [theirs]);
      const withoutState = {
        ...service,
        deployments: service.deployments.map((deployment) => {
          if (deployment.id !== OURS || rolloutState !== undefined) return deployment;
          const { rolloutState: _drop, ...rest } = deployment;
          return rest;
        }),
      };
      const assessment = assessDeployment(withoutState, OURS);
      expect(assessment.state).toBe('failed');
      expect(assessment.state === 'failed' ? assessment.reason : '').toContain('ecs-svc/9999999999999999999');
    },
  );

  describe('without rolloutState (emulators, old API answers)', () => {
    const strip = (service: ReturnType<typeof serviceWith>) => ({
      ...service,
      deployments: service.deployments.map((deployment) => {
        if (deployment.id !== OURS) return deployment;
        const { rolloutState: _drop, ...rest } = deployment;
        return rest;
      }),
    });

    it.each([
      {
        case: 'only deployment, all running',
        ours: { desiredCount: 2, runningCount: 2 },
        others: [],
        counts: { desired: 2, running: 2 },
        expected: 'completed',
      },
      {
        case: 'only deployment, one short',
        ours: { desiredCount: 2, runningCount: 1, pendingCount: 1 },
        others: [],
        counts: { desired: 2, running: 1 },
        expected: 'in-progress',
      },
      {
        case: 'old deployment still draining',
        ours: { desiredCount: 2, runningCount: 2 },
        others: [oldActive],
        counts: { desired: 2, running: 4 },
        expected: 'in-progress',
      },
      {
        case: 'old deployment present, counts equal',
        ours: { desiredCount: 2, runningCount: 2 },
        others: [oldActive],
        counts: { desired: 2, running: 2 },
        expected: 'in-progress',
      },
      {
        case: 'only deployment, service count behind',
        ours: { desiredCount: 2, runningCount: 2 },
        others: [],
        counts: { desired: 3, running: 2 },
        expected: 'in-progress',
      },
      { case: 'scaled to zero', ours: { desiredCount: 0, runningCount: 0 }, others: [], counts: { desired: 0, running: 0 }, expected: 'completed' },
    ])('$case → $expected', ({ ours, others, counts, expected }) => {
      const assessment = assessDeployment(strip(serviceWith(ours, others, counts)), OURS);
      expect(assessment.state).toBe(expected);
      expect(assessment.progress.rolloutState).toBeUndefined();
    });
  });
});

describe('primaryDeploymentId', () => {
  it('is the PRIMARY deployment’s id', () => {
    expect(primaryDeploymentId(serviceWith({ status: 'PRIMARY' }, [oldActive]))).toBe(OURS);
  });

  it('is undefined without a PRIMARY deployment', () => {
    expect(primaryDeploymentId(aService({ deployments: [oldActive] }))).toBeUndefined();
  });
});

describe('stuckReason', () => {
  const placement =
    '(service web) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster.';

  it('finds the newest "unable to place a task" event', () => {
    const service = aService({
      events: [
        { message: '(service web) has started 1 tasks: (task abc).' },
        { message: placement, createdAt: '2026-01-01T00:02:00.000Z' },
        { message: '(service web) was unable to place a task because of an older reason.', createdAt: '2026-01-01T00:01:00.000Z' },
      ],
    });
    expect(stuckReason(service)).toBe(placement);
  });

  it('matches regardless of case', () => {
    expect(stuckReason(aService({ events: [{ message: 'Service web was Unable To Place A Task.' }] }))).toBe(
      'Service web was Unable To Place A Task.',
    );
  });

  it.each([[[]], [[{ message: '(service web) has reached a steady state.' }]]])('is undefined without such an event (%j)', (events) => {
    expect(stuckReason(aService({ events }))).toBeUndefined();
  });
});
