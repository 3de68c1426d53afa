/**
 * Every failure the tool can report carries the exit code the CLI should end with,
 * so that only the entry point decides to exit and the Lambda can reuse the same code.
 */
export const ExitCode = {
  ok: 0,
  /** A rollout or scale failed (also after a successful rollback), or a pipeline's expectation was not met. */
  failed: 1,
  usage: 2,
  /**
   * The run could not start: no region, no credentials, AWS unreachable, a port in use. Its own code,
   * so a pipeline can tell a misconfigured runner from a deployment that failed.
   */
  setup: 3,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class EcsRollError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad input from the user: an argument, an option, a reference that does not parse. */
export class UsageError extends EcsRollError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.usage, options);
  }
}

/** A cluster that does not exist (ECS's ClusterNotFoundException): a usage error when the user named it. */
export class MissingClusterError extends UsageError {}

/** The work was attempted and did not succeed (a deployment failed, timed out, an AWS call was refused). */
export class OperationFailedError extends EcsRollError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.failed, options);
  }
}

/** The environment is not ready for any AWS work (see ExitCode.setup). */
export class SetupError extends EcsRollError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.setup, options);
  }
}

/** Ctrl-C (or SIGTERM) before anything changed. */
export class InterruptedError extends EcsRollError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.interrupted, options);
  }
}

export function isEcsRollError(error: unknown): error is EcsRollError {
  return error instanceof EcsRollError;
}

/**
 * A call that failed in a way worth trying again (throttling, a 5xx, a dropped connection), raised by
 * adapters for calls they do not retry themselves because a blind retry could repeat their effect.
 */
export class TransientAwsError extends OperationFailedError {}

/**
 * RegisterTaskDefinition refused because another caller is registering a revision of the same family at that
 * moment ("ClientException: Too many concurrent attempts to create a new revision of the specified family.").
 * Worth another attempt after a random pause, and the other caller's revision may be the one wanted.
 */
export class RevisionConflictError extends TransientAwsError {}
