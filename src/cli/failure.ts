import { ExitCode, isEcsRollError, SetupError } from '../core/errors.js';

export const ERROR_DOCUMENT_VERSION = 1;

/** How a run that threw ends: the exit code, a stable code for scripts, and words for people. */
export interface Failure {
  readonly exitCode: number;
  /** Stable, for scripts: `usage`, `failed`, `no-region`, `no-credentials`, `aws-unreachable`, `port-in-use`, `setup`. */
  readonly code: string;
  readonly message: string;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Sorts a failure into the exit code table: setup problems (the run could not start) get their own
 * code, so a pipeline can tell a misconfigured runner from a rollout that failed.
 */
export function classifyFailure(error: unknown): Failure {
  if (error instanceof SetupError) return { exitCode: ExitCode.setup, code: 'setup', message: error.message };
  if (isEcsRollError(error)) {
    const code = error.exitCode === ExitCode.usage ? 'usage' : error.exitCode === ExitCode.setup ? 'setup' : 'failed';
    return { exitCode: error.exitCode, code, message: error.message };
  }
  if (!(error instanceof Error)) return { exitCode: ExitCode.failed, code: 'failed', message: String(error) };
  const setup = (code: string, message: string): Failure => ({ exitCode: ExitCode.setup, code, message });
  if (error.message === 'Region is missing') {
    return setup('no-region', 'no AWS region: pass --region or set AWS_REGION or AWS_DEFAULT_REGION (or a region in your profile)');
  }
  if (error.message.startsWith('Region not accepted')) {
    // An AWS_REGION set to "" (an unset CI variable) reaches the SDK as a region that is no hostname.
    return setup('no-region', `the AWS region is not usable (${error.message}); pass --region or set AWS_REGION`);
  }
  if (error.name === 'CredentialsProviderError') {
    return setup(
      'no-credentials',
      `no AWS credentials found (${error.message}); set AWS_PROFILE or --profile, or the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY variables`,
    );
  }
  const errno = (error as NodeJS.ErrnoException).code ?? '';
  if (UNREACHABLE.has(errno)) {
    return setup('aws-unreachable', `cannot reach AWS (${error.message}); check --endpoint-url, AWS_ENDPOINT_URL and the network`);
  }
  if (errno === 'EADDRINUSE') return setup('port-in-use', `the port is already in use (${error.message}); pick another with --port`);
  if (errno === 'EACCES' && /listen/i.test(error.message))
    return setup('port-in-use', `cannot listen there (${error.message}); pick another --port or --host`);
  return { exitCode: ExitCode.failed, code: 'failed', message: error.name === 'Error' ? error.message : `${error.name}: ${error.message}` };
}

/** The one document `--json` runs print on stdout when they fail before (or instead of) their own. */
export function errorDocument(failure: Failure): Record<string, unknown> {
  return {
    kind: 'error',
    version: ERROR_DOCUMENT_VERSION,
    exitCode: failure.exitCode,
    error: { code: failure.code, message: failure.message },
  };
}
