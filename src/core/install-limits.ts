import { UsageError } from './errors.js';

/**
 * "Role policy size cannot exceed 10,240 characters" — the sum of a role's inline policies, white space not
 * counted (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). Splitting the inline
 * policy would not help: the limit is on the aggregate.
 */
export const IAM_ROLE_INLINE_POLICY_MAX_CHARS = 10_240;
/**
 * "The total size of all environment variables doesn't exceed 4 KB", keys and values
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
 */
export const LAMBDA_ENVIRONMENT_MAX_BYTES = 4096;

/** A policy's size as IAM counts it: the JSON without white space. */
export function policySize(document: unknown): number {
  return JSON.stringify(document).length;
}

export function environmentSize(environment: Readonly<Record<string, string>>): number {
  return Object.entries(environment).reduce((total, [key, value]) => total + Buffer.byteLength(key) + Buffer.byteLength(value), 0);
}

/**
 * Checked before install changes anything: a policy or an environment over AWS's limits would be refused half-way,
 * leaving a half-made install. The error says what to change.
 */
export function checkInstallLimits(
  policyDocument: unknown,
  environment: Readonly<Record<string, string>>,
  largest: { variable: string; option: string },
): void {
  const policy = policySize(policyDocument);
  if (policy > IAM_ROLE_INLINE_POLICY_MAX_CHARS) {
    throw new UsageError(
      `the worker's IAM policy would be ${policy} characters, over IAM's ${IAM_ROLE_INLINE_POLICY_MAX_CHARS} for a role's inline ` +
        'policies; each --cluster and each task or execution role the task definitions name adds to it: name fewer ' +
        '--cluster values (or none, for every cluster), and nothing was changed',
    );
  }
  const size = environmentSize(environment);
  if (size > LAMBDA_ENVIRONMENT_MAX_BYTES) {
    const held = Buffer.byteLength(environment[largest.variable] ?? '');
    throw new UsageError(
      `the functions' environment would be ${size} bytes, over Lambda's ${LAMBDA_ENVIRONMENT_MAX_BYTES}; ${largest.variable} ` +
        `holds the ${largest.option} allow-list (${held} bytes): give fewer ${largest.option} values, or split them over ` +
        'several installs (--name), and nothing was changed',
    );
  }
}
