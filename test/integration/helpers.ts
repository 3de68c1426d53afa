import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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
const CLI = fileURLToPath(new URL('../../bin/ecs-roll', import.meta.url));

/** Dummy credentials: the sandbox accepts any, and nothing here may reach a real account. */
export const TEST_ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: REGION,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  // The images these tests roll out live in no registry, so the registry check is off, as --no-verify
  // would have it; test/integration/registry.test.ts turns it on against real registries on loopback.
  ECS_ROLL_VERIFY: 'false',
};

export function ecsClient(endpoint: string): ECSClient {
  return new ECSClient({ endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI as a user would: a child process, its own environment, no terminal. */
export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...TEST_ENV, ...options.env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
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
