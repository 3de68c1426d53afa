// What the sandbox's own tests share: a real AWS SDK ECS client on this file's sandbox, one cluster name, and
// probes that wait for the scheduler and read services, tasks and its per-tick record back.
import {
  CreateServiceCommand,
  type CreateServiceCommandInput,
  type Deployment,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { eventuallyWith } from '../eventually.js';
import { type RecordEntry, sandboxControl } from './client.js';
import { sandboxEndpoint } from './endpoint.js';

export const endpoint = sandboxEndpoint();
export const control = sandboxControl(endpoint);
export const ecs = new ECSClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
export const CLUSTER = 'sandbox';

export const waitFor = eventuallyWith({ ms: 8_000, every: 50 });

export async function taskDefinition(family: string, image: string, extra: { cpu?: number; memory?: number } = {}): Promise<string> {
  const answer = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      containerDefinitions: [{ name: 'app', image, essential: true, cpu: extra.cpu ?? 256, memory: extra.memory ?? 512 }],
    }),
  );
  return answer.taskDefinition!.taskDefinitionArn!;
}

export async function createService(input: Omit<CreateServiceCommandInput, 'cluster'>): Promise<Service> {
  const answer = await ecs.send(new CreateServiceCommand({ cluster: CLUSTER, launchType: 'FARGATE', ...input }));
  return answer.service!;
}

export async function describe1(service: string): Promise<Service> {
  const answer = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [service] }));
  return answer.services![0]!;
}

export async function serviceTasks(service: string, desiredStatus?: 'RUNNING' | 'STOPPED'): Promise<Task[]> {
  const arns = (await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: service, desiredStatus }))).taskArns ?? [];
  if (arns.length === 0) return [];
  return (await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: arns }))).tasks ?? [];
}

export function primary(service: Service): Deployment {
  const found = service.deployments?.find((d) => d.status === 'PRIMARY');
  if (!found) throw new Error(`service ${service.serviceName} has no PRIMARY deployment`);
  return found;
}

/** Resolves once the service has one COMPLETED PRIMARY deployment and desired tasks running. */
export function steady(name: string, timeoutMs?: number): Promise<Service> {
  return waitFor(
    `${name} to reach a steady state`,
    async () => {
      const service = await describe1(name);
      const deployments = service.deployments ?? [];
      const done = deployments.length === 1 && deployments[0]!.rolloutState === 'COMPLETED' && service.runningCount === service.desiredCount;
      return done ? service : undefined;
    },
    timeoutMs === undefined ? {} : { ms: timeoutMs },
  );
}

export function rowsFor(record: RecordEntry[], service: string): RecordEntry[] {
  return record.filter((row) => row.cluster === CLUSTER && row.service === service);
}
