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
  /**
   * The tasks ECS counts as healthy (see health.ts): a replacement counts only once its load balancer targets
   * and container health checks say so. Absent, every RUNNING task counts.
   */
  readonly healthyTaskArns?: ReadonlySet<string>;
}

/** ECS rounds the healthy floor up, so a fractional task always counts as a whole one. */
export function minimumHealthyTasks(desiredCount: number, minimumHealthyPercent: number): number {
  return Math.ceil((desiredCount * minimumHealthyPercent) / 100);
}

/**
 * The next paced batch of the replace strategy: stop old-revision tasks only when every earlier
 * replacement runs and is healthy, and never so many that fewer than minimumHealthyPercent of desired
 * stay healthy.
 */
export function nextReplacementBatch(input: ReplacementInput): ReplacementStep {
  const running = input.tasks.filter((task) => task.lastStatus === 'RUNNING');
  const old = running
    .filter((task) => task.taskDefinitionArn !== input.targetTaskDefinitionArn)
    .sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || a.taskArn.localeCompare(b.taskArn));
  if (old.length === 0) return { stop: [], remainingOld: 0 };

  const healthy = (task: TaskSnapshot) => input.healthyTaskArns === undefined || input.healthyTaskArns.has(task.taskArn);
  const starting = input.tasks.length - running.length;
  const warmingUp = running.filter((task) => task.taskDefinitionArn === input.targetTaskDefinitionArn && !healthy(task)).length;
  if (starting > 0 || warmingUp > 0 || running.length < input.desiredCount) {
    return { stop: [], remainingOld: old.length, holdReason: 'replacements-starting' };
  }
  // Every old task stopped is assumed healthy, so the floor holds whichever of them goes.
  const budget = running.filter(healthy).length - minimumHealthyTasks(input.desiredCount, input.minimumHealthyPercent);
  if (budget <= 0) return { stop: [], remainingOld: old.length, holdReason: 'minimum-healthy' };
  return { stop: old.slice(0, budget), remainingOld: old.length };
}
