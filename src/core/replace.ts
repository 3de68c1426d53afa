import type { TaskSnapshot } from './model.js';

export interface ReplacementStep {
  /** Old-revision tasks to stop now (oldest first); empty when pacing says wait. */
  readonly stop: readonly TaskSnapshot[];
  /** Old-revision tasks still running. */
  readonly remainingOld: number;
  /** Why nothing is stopped now although old tasks remain. */
  readonly holdReason?: 'replacements-starting' | 'minimum-healthy';
}

export interface ReplacementInput {
  /** The service's tasks with desired status RUNNING. */
  readonly tasks: readonly TaskSnapshot[];
  readonly targetTaskDefinitionArn: string;
  readonly desiredCount: number;
  readonly minimumHealthyPercent: number;
}

/** ECS rounds the healthy floor up, so a fractional task always counts as a whole one. */
export function minimumHealthyTasks(desiredCount: number, minimumHealthyPercent: number): number {
  return Math.ceil((desiredCount * minimumHealthyPercent) / 100);
}

/**
 * The next paced batch of the replace strategy: stop old-revision tasks only when every earlier
 * replacement runs, and never so many that fewer than minimumHealthyPercent of desired stay running.
 */
export function nextReplacementBatch(input: ReplacementInput): ReplacementStep {
  const running = input.tasks.filter((task) => task.lastStatus === 'RUNNING');
  const old = running
    .filter((task) => task.taskDefinitionArn !== input.targetTaskDefinitionArn)
    .sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || a.taskArn.localeCompare(b.taskArn));
  if (old.length === 0) return { stop: [], remainingOld: 0 };

  const starting = input.tasks.length - running.length;
  if (starting > 0 || running.length < input.desiredCount) {
    return { stop: [], remainingOld: old.length, holdReason: 'replacements-starting' };
  }
  const budget = running.length - minimumHealthyTasks(input.desiredCount, input.minimumHealthyPercent);
  if (budget <= 0) return { stop: [], remainingOld: old.length, holdReason: 'minimum-healthy' };
  return { stop: old.slice(0, budget), remainingOld: old.length };
}
