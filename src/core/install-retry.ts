/**
 * Waiting for IAM: a role just created (or just given to a function) reaches every IAM replica
 * within seconds to minutes, and Lambda refuses it until then.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency
 */
export const ROLE_PROPAGATION_MAX_MS = 180_000;

export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/**
 * Lambda's answer while a new role has not reached every region's IAM replica yet. Recognised by its error
 * name first; Lambda has no name of its own for it (InvalidParameterValueException also refuses a zip too
 * large or a bad handler, which must fail at once, not after three minutes of retries), so the documented
 * wording narrows it (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html, Errors).
 */
export function isRolePropagationError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'InvalidParameterValueException' && /cannot be assumed by Lambda/i.test(error.message);
}

/**
 * Runs `call` until it stops failing with the role-propagation error, backing off from 1 s to
 * 10 s, for at most `maxMs`; any other error, or the same error after the deadline, is thrown.
 */
export async function retryWhileRolePropagates<T>(
  call: () => Promise<T>,
  clock: RetryClock,
  options: { maxMs?: number; onRetry?: (attempt: number, elapsedMs: number) => void; signal?: AbortSignal } = {},
): Promise<T> {
  const maxMs = options.maxMs ?? ROLE_PROPAGATION_MAX_MS;
  const started = clock.now();
  let delay = 1000;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      const elapsed = clock.now() - started;
      if (!isRolePropagationError(error) || elapsed + delay > maxMs || options.signal?.aborted === true) throw error;
      options.onRetry?.(attempt, elapsed);
      await clock.sleep(delay);
      delay = Math.min(delay * 2, 10_000);
    }
  }
}
