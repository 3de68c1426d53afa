import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InterruptedError, SetupError, UsageError } from '../core/errors.js';
import type { ImageReference } from '../core/image-ref.js';
import {
  credentialsFromDockerConfig,
  ecrRegistryOf,
  missingTagMessage,
  parseRegistryAuth,
  type BasicCredentials,
  type RegistryAnswer,
} from '../core/registry.js';
import type { RegistryCheck } from '../core/registry-options.js';
import type { AwsConfig } from './config.js';

/** The target's tag is not in its registry: bad input, exit 2, and nothing has changed. */
export class TagNotFoundError extends UsageError {}

async function dockerConfigCredentials(check: RegistryCheck, registry: string): Promise<BasicCredentials | undefined> {
  const file = join(check.dockerConfigDir ?? join(homedir(), '.docker'), 'config.json');
  try {
    return credentialsFromDockerConfig(JSON.parse(await readFile(file, 'utf8')), registry);
  } catch {
    return undefined; // no Docker config (or an unreadable one): ask anonymously
  }
}

function describeCause(error: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `no answer within ${timeoutMs / 1000} s`;
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code !== undefined) return `${cause.code}${cause.message === undefined ? '' : ` (${cause.message})`}`;
  return error.message;
}

/**
 * The digest of the target as its registry answers it. Throws TagNotFoundError (exit 2) when the tag
 * does not exist and SetupError (exit 3) when the registry cannot be asked. Credentials and tokens
 * never appear in a message.
 */
export async function resolveTargetDigest(
  target: ImageReference,
  check: RegistryCheck,
  aws: AwsConfig,
  signal: AbortSignal | undefined,
): Promise<string> {
  const timeout = AbortSignal.timeout(check.timeoutMs);
  const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
  const ecr = ecrRegistryOf(target);
  let answer: RegistryAnswer;
  try {
    if (ecr !== undefined) {
      answer = await (await import('./registry-ecr.js')).lookupEcrImage(target, ecr, aws, combined);
    } else {
      const credentials =
        check.registryAuth !== undefined ? parseRegistryAuth(check.registryAuth) : await dockerConfigCredentials(check, target.registry);
      answer = await (await import('./registry-oci.js')).lookupOciManifest(target, {
        mirrors: check.mirrors,
        signal: combined,
        ...(credentials === undefined ? {} : { credentials }),
      });
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (signal?.aborted === true) {
      throw new InterruptedError(`interrupted while asking ${target.registry} about ${target.original}; nothing was changed`);
    }
    const reason = describeCause(error, timeout.aborted, check.timeoutMs);
    throw new SetupError(
      `cannot ask ${target.registry} whether ${target.original} exists: ${reason}; nothing was changed (--no-verify skips the check)`,
      { cause: error },
    );
  }
  if (!answer.found) throw new TagNotFoundError(`${missingTagMessage(target)}; nothing was changed`);
  return answer.digest;
}
