import { UsageError } from '../core/errors.js';
import type { ImageReference } from '../core/image-ref.js';
import type { AwsConfig } from './config.js';
import type { RegistryOptions } from '../core/registry-options.js';

export type { RegistryOptions };

/**
 * The target as the rollout registers it: checked against its registry (unless `--no-verify`), and
 * with the registry's digest appended when pinning. ECS accepts `repo:tag@sha256:…`, keeps it as
 * written, and pulls by the digest, so the tag stays readable and rollback returns to that exact image:
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html (image),
 * and DescribeTasks reporting such an image: https://github.com/aws/amazon-ecs-agent/issues/4226
 */
export async function checkTargetInRegistry(
  target: ImageReference,
  options: RegistryOptions | undefined,
  aws: AwsConfig,
  signal: AbortSignal | undefined,
): Promise<{ target: ImageReference; digest?: string }> {
  if (options === undefined || !options.verify) {
    if (options?.pinDigest === true && target.digest === undefined) {
      throw new UsageError('--pin-digest needs the digest from the registry, so it cannot be used with --no-verify');
    }
    return { target };
  }
  const { resolveTargetDigest } = await import('./registry.js');
  const digest = await resolveTargetDigest(target, options, aws, signal);
  if (!options.pinDigest || target.digest !== undefined) return { target, digest };
  return { target: { ...target, original: `${target.original}@${digest}`, digest }, digest };
}
