/**
 * What one ALARM does to a service whose policy, count, cooldown and Application Auto Scaling bounds
 * are known. Pure: the worker (src/lambda/alarm.ts) reads the inputs and carries the verdict out.
 */
import type { AlarmPolicy, ScalableTargetBounds } from './alarm.js';
import { applyAdjustment } from './scale.js';
import { effectiveBounds } from './scale-policy.js';

/** `autoscaling-min`/`-max`: Application Auto Scaling's scalable target held the count, not the policy. */
export type BoundName = 'min' | 'max' | 'autoscaling-min' | 'autoscaling-max';

export type ScaleVerdict =
  | { readonly kind: 'in-cooldown'; readonly scaledAt: number; readonly cooldownSeconds: number; readonly remainingSeconds: number }
  | { readonly kind: 'at-bound'; readonly count: number; readonly bound: BoundName | null }
  | { readonly kind: 'acted'; readonly from: number; readonly to: number }
  | { readonly kind: 'clamped'; readonly from: number; readonly to: number; readonly bound: BoundName };

export interface ScaleInput {
  readonly policy: AlarmPolicy;
  readonly desiredCount: number;
  /** Epoch seconds of the last policy scale of this service, from its tag. */
  readonly lastScaledAt: number | undefined;
  /** Epoch seconds. */
  readonly now: number;
  /** The service's scalable target, when Application Auto Scaling has one. */
  readonly autoscaling?: Pick<ScalableTargetBounds, 'min' | 'max'>;
}

/** What an ALARM transition does to a service whose policy and state are known. */
export function decideScale(input: ScaleInput): ScaleVerdict {
  const { policy, desiredCount, lastScaledAt, now } = input;
  if (lastScaledAt !== undefined && policy.cooldownSeconds > 0) {
    const elapsed = now - lastScaledAt;
    // A scaled-at in the future (clock skew) counts as just now.
    if (elapsed < policy.cooldownSeconds) {
      return {
        kind: 'in-cooldown',
        scaledAt: lastScaledAt,
        cooldownSeconds: policy.cooldownSeconds,
        remainingSeconds: policy.cooldownSeconds - Math.max(0, elapsed),
      };
    }
  }
  const bounds = effectiveBounds(policy, input.autoscaling);
  const named = (side: 'min' | 'max'): BoundName => (bounds.source[side] === 'autoscaling' ? `autoscaling-${side}` : side);
  const decision = applyAdjustment(desiredCount, policy.adjustment, { min: bounds.min, max: bounds.max });
  if (decision.to === desiredCount) {
    const side = decision.clamped ?? (desiredCount >= bounds.max ? 'max' : desiredCount <= bounds.min ? 'min' : undefined);
    return { kind: 'at-bound', count: desiredCount, bound: side === undefined ? null : named(side) };
  }
  if (decision.clamped !== undefined) return { kind: 'clamped', from: desiredCount, to: decision.to, bound: named(decision.clamped) };
  return { kind: 'acted', from: desiredCount, to: decision.to };
}
