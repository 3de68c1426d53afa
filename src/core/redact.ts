/**
 * Masks what must never be printed: ARNs of Secrets Manager secrets and SSM parameters (ECS names
 * them in ResourceInitializationError reasons), and the task definition's environment values and
 * secret references wherever they turn up (a log line, an error message).
 */
const SECRET_ARN = /arn:aws[a-z-]*:(?:secretsmanager|ssm):[^\s"',;)]+/g;
/** Shorter values are too likely to be ordinary words ("true", "8080") to mask usefully. */
const MIN_MASKED_LENGTH = 6;
export const MASK = '[redacted]';

export function redactor(sensitive: readonly string[]): (text: string) => string {
  const values = [...new Set(sensitive.filter((value) => value.length >= MIN_MASKED_LENGTH))].sort((a, b) => b.length - a.length);
  return (text) => {
    let masked = text.replace(SECRET_ARN, MASK);
    for (const value of values) masked = masked.split(value).join(MASK);
    return masked;
  };
}
