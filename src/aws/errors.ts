const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);

interface SdkErrorShape {
  name?: string;
  code?: string;
  $fault?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** Throttling, a server-side fault or a dropped connection: worth another attempt, unlike a refusal. */
export function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const shape = error as Error & SdkErrorShape;
  if (THROTTLING.has(shape.name ?? '') || shape.$retryable !== undefined) return true;
  const status = shape.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (shape.$fault === 'server') return true;
  if (NETWORK_CODES.has(shape.code ?? '') || shape.name === 'TimeoutError') return true;
  // A connection that died before any answer leaves no HTTP status at all.
  return status === undefined && shape.$fault === undefined && /socket hang up|ECONNRESET|network/i.test(shape.message);
}

/** An SDK error by its exception name, e.g. ClusterNotFoundException: the one check every adapter makes. */
export function isAwsError(error: unknown, ...names: string[]): error is Error {
  return error instanceof Error && names.includes(error.name);
}
