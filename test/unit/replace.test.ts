import { describe, expect, it } from 'vitest';
import type { TaskSnapshot } from '../../src/core/model.js';
import { minimumHealthyTasks, nextReplacementBatch } from '../../src/core/replace.js';
import { aTask, taskDefinitionArnOf } from './builders.js';

const OLD = taskDefinitionArnOf('web', 1);
const NEW = taskDefinitionArnOf('web', 2);

/** `old` old-revision and `fresh` new-revision RUNNING tasks, plus `starting` PENDING new ones; old ones start a minute apart. */
function tasks(old: number, fresh: number, starting = 0): TaskSnapshot[] {
  return [
    ...Array.from({ length: old }, (_, index) =>
      aTask({ id: `old-${index}`, taskDefinitionArn: OLD, startedAt: `2026-01-01T00:${String(10 + index).padStart(2, '0')}:00.000Z` }),
    ),
    ...Array.from({ length: fresh }, (_, index) => aTask({ id: `new-${index}`, taskDefinitionArn: NEW, startedAt: '2026-01-02T00:00:00.000Z' })),
    ...Array.from({ length: starting }, (_, index) => {
      const { startedAt: _none, ...task } = aTask({ id: `pending-${index}`, taskDefinitionArn: NEW, lastStatus: 'PENDING' });
      return task;
    }),
  ];
}

describe('minimumHealthyTasks', () => {
  it.each([
    { desired: 4, percent: 50, floor: 2 },
    { desired: 3, percent: 50, floor: 2 },
    { desired: 1, percent: 50, floor: 1 },
    { desired: 10, percent: 100, floor: 10 },
    { desired: 10, percent: 0, floor: 0 },
    { desired: 7, percent: 33, floor: 3 },
    { desired: 0, percent: 100, floor: 0 },
    { desired: 5, percent: 120, floor: 6 },
  ])('ceil($desired × $percent%) = $floor', ({ desired, percent, floor }) => {
    expect(minimumHealthyTasks(desired, percent)).toBe(floor);
  });
});

describe('nextReplacementBatch', () => {
  it.each([
    { desired: 4, percent: 50, old: 4, fresh: 0, stop: 2 },
    { desired: 4, percent: 50, old: 2, fresh: 2, stop: 2 },
    { desired: 4, percent: 75, old: 4, fresh: 0, stop: 1 },
    { desired: 4, percent: 0, old: 4, fresh: 0, stop: 4 },
    { desired: 3, percent: 50, old: 3, fresh: 0, stop: 1 },
    { desired: 1, percent: 0, old: 1, fresh: 0, stop: 1 },
    { desired: 10, percent: 90, old: 10, fresh: 0, stop: 1 },
    { desired: 4, percent: 50, old: 1, fresh: 3, stop: 1 },
    // Extra tasks above desired (maximumPercent headroom) run too and count as healthy.
    { desired: 4, percent: 50, old: 4, fresh: 2, stop: 4 },
  ])('desired $desired, min $percent%, $old old + $fresh new running → stop $stop', ({ desired, percent, old, fresh, stop }) => {
    const all = tasks(old, fresh);
    const step = nextReplacementBatch({ tasks: all, targetTaskDefinitionArn: NEW, desiredCount: desired, minimumHealthyPercent: percent });
    expect(step.stop).toHaveLength(stop);
    expect(step.remainingOld).toBe(old);
    expect(step.holdReason).toBeUndefined();
    expect(step.stop.every((task) => task.taskDefinitionArn === OLD)).toBe(true);
    // The floor holds after the stops.
    expect(all.length - step.stop.length).toBeGreaterThanOrEqual(minimumHealthyTasks(desired, percent));
  });

  it.each([
    { desired: 1, percent: 0 },
    { desired: 2, percent: 50 },
    { desired: 3, percent: 34 },
    { desired: 5, percent: 60 },
    { desired: 6, percent: 50 },
    { desired: 7, percent: 71 },
    { desired: 9, percent: 99 },
  ])('never stops below ceil(desired × min%) running: desired $desired, min $percent%', ({ desired, percent }) => {
    for (let fresh = 0; fresh < desired; fresh += 1) {
      const all = tasks(desired - fresh, fresh);
      const step = nextReplacementBatch({ tasks: all, targetTaskDefinitionArn: NEW, desiredCount: desired, minimumHealthyPercent: percent });
      expect(all.length - step.stop.length).toBeGreaterThanOrEqual(Math.ceil((desired * percent) / 100));
    }
  });

  it('holds while any task is not RUNNING yet', () => {
    const step = nextReplacementBatch({ tasks: tasks(2, 1, 1), targetTaskDefinitionArn: NEW, desiredCount: 3, minimumHealthyPercent: 0 });
    expect(step).toEqual({ stop: [], remainingOld: 2, holdReason: 'replacements-starting' });
  });

  it('holds while fewer than desired run', () => {
    const step = nextReplacementBatch({ tasks: tasks(2, 0), targetTaskDefinitionArn: NEW, desiredCount: 4, minimumHealthyPercent: 0 });
    expect(step).toEqual({ stop: [], remainingOld: 2, holdReason: 'replacements-starting' });
  });

  it('stops the oldest first', () => {
    const shuffled = [
      aTask({ id: 'b', taskDefinitionArn: OLD, startedAt: '2026-01-01T00:02:00.000Z' }),
      aTask({ id: 'new', taskDefinitionArn: NEW, startedAt: '2025-12-31T00:00:00.000Z' }),
      aTask({ id: 'c', taskDefinitionArn: OLD, startedAt: '2026-01-01T00:03:00.000Z' }),
      aTask({ id: 'a', taskDefinitionArn: OLD, startedAt: '2026-01-01T00:01:00.000Z' }),
    ];
    const step = nextReplacementBatch({ tasks: shuffled, targetTaskDefinitionArn: NEW, desiredCount: 4, minimumHealthyPercent: 50 });
    expect(step.stop.map((task) => task.taskArn.split('/').pop())).toEqual(['a', 'b']);
  });

  it('stops nothing new: tasks already on the target are never chosen', () => {
    const step = nextReplacementBatch({ tasks: tasks(1, 3), targetTaskDefinitionArn: NEW, desiredCount: 4, minimumHealthyPercent: 0 });
    expect(step.stop.map((task) => task.taskDefinitionArn)).toEqual([OLD]);
  });

  it('with 100% minimum healthy and no headroom it holds with reason minimum-healthy', () => {
    const step = nextReplacementBatch({ tasks: tasks(4, 0), targetTaskDefinitionArn: NEW, desiredCount: 4, minimumHealthyPercent: 100 });
    expect(step).toEqual({ stop: [], remainingOld: 4, holdReason: 'minimum-healthy' });
  });

  it.each([
    { case: 'all tasks new', all: tasks(0, 4) },
    { case: 'no tasks', all: [] },
    { case: 'only new ones starting', all: tasks(0, 2, 2) },
  ])('with nothing old ($case) it stops nothing and does not hold', ({ all }) => {
    expect(nextReplacementBatch({ tasks: all, targetTaskDefinitionArn: NEW, desiredCount: 4, minimumHealthyPercent: 50 })).toEqual({
      stop: [],
      remainingOld: 0,
    });
  });
});
