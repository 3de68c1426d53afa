// The ECS client and seeding helpers every test that talks to the sandbox uses (test/sandbox/reliability-fleet.ts,
// the integration and stress files), apart from test/integration so the sandbox's helpers stand alone.
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type ContainerDefinition,
  type CreateServiceCommandInput,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';

export const REGION = 'us-east-1';

export function ecsClient(endpoint: string): ECSClient {
  return new ECSClient({ endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
}

export async function createCluster(ecs: ECSClient, name: string): Promise<void> {
  await ecs.send(new CreateClusterCommand({ clusterName: name }));
}

export function container(name: string, image: string, extra: Partial<ContainerDefinition> = {}): ContainerDefinition {
  return { name, image, memory: 128, cpu: 64, essential: true, ...extra };
}

export async function registerTaskDefinition(
  ecs: ECSClient,
  family: string,
  containerDefinitions: ContainerDefinition[],
  extra: Partial<RegisterTaskDefinitionCommandInput> = {},
): Promise<string> {
  const answer = await ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions, ...extra }));
  return answer.taskDefinition?.taskDefinitionArn ?? '';
}

export async function createService(
  ecs: ECSClient,
  cluster: string,
  serviceName: string,
  taskDefinition: string,
  extra: Partial<CreateServiceCommandInput> = {},
): Promise<void> {
  await ecs.send(new CreateServiceCommand({ cluster, serviceName, taskDefinition, desiredCount: 1, ...extra }));
}

export async function serviceTaskDefinition(ecs: ECSClient, cluster: string, service: string): Promise<string> {
  const answer = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
  return answer.services?.[0]?.taskDefinition ?? '';
}

export async function describeTaskDefinition(ecs: ECSClient, taskDefinition: string) {
  return ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition, include: ['TAGS'] }));
}

export async function revisionCount(ecs: ECSClient, family: string): Promise<number> {
  const answer = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family }));
  return (answer.taskDefinitionArns ?? []).filter((arn) => arn.split('/').pop()?.split(':')[0] === family).length;
}

export async function imagesOf(ecs: ECSClient, taskDefinition: string): Promise<Record<string, string>> {
  const answer = await describeTaskDefinition(ecs, taskDefinition);
  return Object.fromEntries((answer.taskDefinition?.containerDefinitions ?? []).map((c) => [c.name ?? '', c.image ?? '']));
}
