import { UsageError } from './errors.js';

/**
 * A change to a service's desired count, as EC2 Auto Scaling expresses them:
 * an exact count, a change in tasks, or a change in percent of the current count.
 */
export type Adjustment =
  | { readonly kind: 'exact'; readonly count: number }
  | { readonly kind: 'change'; readonly tasks: number }
  | { readonly kind: 'percent'; readonly percent: number };

const WHOLE = /^\d+$/;
const SIGNED_WHOLE = /^[+-]\d+$/;
const SIGNED_PERCENT = /^[+-]\d+(?:\.\d+)?%$/;

function wholeNumber(name: string, text: string): number {
  if (!WHOLE.test(text)) throw new UsageError(`${name} must be a whole number of tasks, got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new UsageError(`${name} is too large: ${text}`);
  return value;
}

export function parseCount(name: string, text: string): number {
  return wholeNumber(name, text.trim());
}

/** `--by`: `+2`, `-1`, `+50%`, `-10%`. */
export function parseRelativeAdjustment(text: string): Adjustment {
  const value = text.trim();
  if (SIGNED_WHOLE.test(value)) return { kind: 'change', tasks: Number(value) };
  if (SIGNED_PERCENT.test(value)) return { kind: 'percent', percent: Number(value.slice(0, -1)) };
  throw new UsageError(`--by must be +n, -n, +n% or -n%, got ${JSON.stringify(text)}`);
}

/** Alarm policies also allow `=n`, an exact count. */
export function parseAdjustment(text: string): Adjustment {
  const value = text.trim();
  if (value.startsWith('=')) return { kind: 'exact', count: wholeNumber('=n', value.slice(1)) };
  return parseRelativeAdjustment(value);
}

export function formatAdjustment(adjustment: Adjustment): string {
  switch (adjustment.kind) {
    case 'exact':
      return `=${adjustment.count}`;
    case 'change':
      return `${adjustment.tasks >= 0 ? '+' : ''}${adjustment.tasks}`;
    case 'percent':
      return `${adjustment.percent >= 0 ? '+' : ''}${adjustment.percent}%`;
  }
}

/**
 * Tasks a percent change adds or removes, rounded as EC2 Auto Scaling's PercentChangeInCapacity:
 * toward zero, except that a change between -1 and 1 becomes one task in its direction.
 */
export function percentChangeInTasks(current: number, percent: number): number {
  const exact = (current * percent) / 100;
  if (exact === 0) return 0;
  if (exact > 0 && exact < 1) return 1;
  if (exact < 0 && exact > -1) return -1;
  return Math.trunc(exact);
}

export interface Bounds {
  readonly min?: number;
  readonly max?: number;
}

export interface ScaleDecision {
  readonly from: number;
  readonly to: number;
  /** The adjustment asked for more or less than the bounds allow. */
  readonly clamped: 'min' | 'max' | undefined;
  /** The adjustment asked for fewer than 0 tasks (`--by -200%`); `wanted` says how many. */
  readonly floored?: boolean;
  readonly wanted?: number;
}

export function applyAdjustment(current: number, adjustment: Adjustment, bounds: Bounds = {}): ScaleDecision {
  if (bounds.min !== undefined && bounds.max !== undefined && bounds.min > bounds.max) {
    throw new UsageError(`--min ${bounds.min} is above --max ${bounds.max}`);
  }
  const wanted =
    adjustment.kind === 'exact'
      ? adjustment.count
      : adjustment.kind === 'change'
        ? current + adjustment.tasks
        : current + percentChangeInTasks(current, adjustment.percent);
  let to = Math.max(0, wanted);
  let clamped: ScaleDecision['clamped'];
  if (bounds.min !== undefined && to < bounds.min) {
    to = bounds.min;
    clamped = 'min';
  }
  if (bounds.max !== undefined && to > bounds.max) {
    to = bounds.max;
    clamped = 'max';
  }
  const floored = wanted < 0 && clamped === undefined;
  return { from: current, to, clamped, ...(floored ? { floored, wanted } : {}) };
}
