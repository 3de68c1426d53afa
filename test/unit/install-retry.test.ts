import { describe, expect, it } from 'vitest';
import { isRolePropagationError, retryWhileRolePropagates } from '../../src/core/install-plan.js';
import { FakeClock } from '../fakes.js';

// -----------------------------------------------------------------------------------------------
// moto never refuses CreateFunction for a new role, so the propagation retry is proved here only.

function propagationError(): Error {
  const error = new Error('The role defined for the function cannot be assumed by Lambda.');
  error.name = 'InvalidParameterValueException';
  return error;
}

describe('retryWhileRolePropagates', () => {
  it('recognises only the role-propagation refusal', () => {
    expect(isRolePropagationError(propagationError())).toBe(true);
    const other = new Error('Unzipped size must be smaller than 262144000 bytes');
    other.name = 'InvalidParameterValueException';
    expect(isRolePropagationError(other)).toBe(false);
  });

  it('retries with backoff until Lambda accepts the role', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const retries: number[] = [];
    const result = await retryWhileRolePropagates(
      async () => {
        calls += 1;
        if (calls <= 5) throw propagationError();
        return 'created';
      },
      clock,
      { onRetry: (attempt) => retries.push(attempt) },
    );
    expect(result).toBe('created');
    expect(calls).toBe(6);
    expect(clock.sleeps).toEqual([1000, 2000, 4000, 8000, 10_000]);
    expect(retries).toEqual([1, 2, 3, 4, 5]);
  });

  it('gives up after about three minutes with the last refusal', async () => {
    const clock = new FakeClock();
    let calls = 0;
    await expect(
      retryWhileRolePropagates(async () => {
        calls += 1;
        throw propagationError();
      }, clock),
    ).rejects.toThrow(/cannot be assumed/);
    expect(clock.now()).toBeLessThanOrEqual(180_000);
    expect(clock.now()).toBeGreaterThan(165_000);
    expect(calls).toBe(clock.sleeps.length + 1);
  });

  it('does not retry any other error', async () => {
    const clock = new FakeClock();
    const denied = new Error('not authorized to perform: lambda:CreateFunction');
    denied.name = 'AccessDeniedException';
    await expect(retryWhileRolePropagates(async () => Promise.reject(denied), clock)).rejects.toBe(denied);
    expect(clock.sleeps).toEqual([]);
  });
});
