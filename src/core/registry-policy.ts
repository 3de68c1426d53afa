import { parseImageReference } from './image-ref.js';
import { ecrRegistryOf } from './registry.js';

/**
 * The worker's ECR statement: before a rollout it asks ECR whether the tag exists and its digest
 * (BatchGetImage, DescribeImages), scoped to the ECR repositories of the install's allow-list.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html
 */
export function ecrRepositoryArns(repositories: readonly string[]): string[] {
  const arns = new Set<string>();
  for (const repository of repositories) {
    const ecr = ecrRegistryOf(parseImageReference(repository));
    if (ecr === undefined) continue;
    const partition = ecr.region.startsWith('cn-') ? 'aws-cn' : ecr.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
    arns.add(`arn:${partition}:ecr:${ecr.region}:${ecr.registryId}:repository/${ecr.repositoryName}`);
  }
  return [...arns].sort();
}

export function ecrReadStatement(repositories: readonly string[]) {
  const arns = ecrRepositoryArns(repositories);
  if (arns.length === 0) return [];
  return [{ Sid: 'EcrReadImages', Effect: 'Allow' as const, Action: ['ecr:BatchGetImage', 'ecr:DescribeImages'], Resource: arns }];
}
