import type { ImageReference } from '../core/image-ref.js';
import { MANIFEST_MEDIA_TYPES, type EcrRegistry, type RegistryAnswer } from '../core/registry.js';
import type { AwsConfig } from './config.js';
import { clientConfig } from './config.js';
import { isAwsError } from './errors.js';

/**
 * Asks Amazon ECR whether a tag (or digest) exists, through its API rather than the registry's HTTP
 * endpoint: the AWS credentials already at hand are enough, and BatchGetImage is the call an ECS
 * execution role already may make. A missing tag is a failure entry (ImageTagDoesNotExist or
 * ImageNotFound), a missing repository RepositoryNotFoundException.
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html
 */
export async function lookupEcrImage(reference: ImageReference, ecr: EcrRegistry, aws: AwsConfig, signal: AbortSignal): Promise<RegistryAnswer> {
  const { ECRClient, BatchGetImageCommand } = await import('@aws-sdk/client-ecr');
  // The registry's own region, whatever region the rollout's ECS calls go to.
  const client = new ECRClient({ ...clientConfig(aws), region: ecr.region, maxAttempts: 3 });
  try {
    const answer = await client.send(
      new BatchGetImageCommand({
        registryId: ecr.registryId,
        repositoryName: ecr.repositoryName,
        imageIds: [reference.digest !== undefined ? { imageDigest: reference.digest } : { imageTag: reference.tag ?? 'latest' }],
        acceptedMediaTypes: [...MANIFEST_MEDIA_TYPES],
      }),
      { abortSignal: signal },
    );
    const digest = answer.images?.[0]?.imageId?.imageDigest;
    if (digest !== undefined && digest !== '') return { found: true, digest };
    return { found: false };
  } catch (error) {
    if (isAwsError(error, 'RepositoryNotFoundException')) return { found: false };
    throw error;
  } finally {
    client.destroy();
  }
}
