// What the tests of `rollout`'s waiting share: the file's sandbox, the built CLI polling fast, its --json
// result, and probes that read services, deployments and tasks back through the ECS API.
import {
  type CreateServiceCommandInput,
  type Deployment,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { expect } from 'vitest';
import { eventuallyWith } from '../eventually.js';
import type { SandboxCall } from '../sandbox/client.js';
import { sandboxFile } from './fixtures.js';
import { type CliRun, createService, runCli } from './helpers.js';

export const { endpoint, sandbox, ecs } = sandboxFile();

/** The CLI against the sandbox, polling fast (allowed because of --endpoint-url). */
export const rollout = (args: string[], pollInterval = '0.3'): Promise<CliRun> =>
  runCli(['rollout', ...args, '--poll-interval', pollInterval, '--endpoint-url', endpoint]);

export interface JsonService {
  cluster: string;
  service: string;
  action: string;
  outcome: string;
  reason?: string;
  oldTaskDefinitionArn: string;
  newTaskDefinitionArn: string | null;
  deploymentId?: string;
}

export interface JsonResult {
  kind: string;
  ok: boolean;
  registrations: { family: string; from: string; to: string }[];
  services: JsonService[];
}

/** stdout must be exactly one JSON document. */
export function parseResult(run: CliRun): JsonResult {
  const result = JSON.parse(run.stdout) as JsonResult;
  expect(result.kind).toBe('rollout-result');
  return result;
}

export function serviceResult(result: JsonResult, service: string): JsonService {
  const found = result.services.find((entry) => entry.service === service);
  if (found === undefined) throw new Error(`no result for ${service} in ${JSON.stringify(result)}`);
  return found;
}

export async function describeService(cluster: string, service: string): Promise<Service> {
  const answer = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
  const found = answer.services?.[0];
  if (found === undefined) throw new Error(`${cluster}/${service} not found`);
  return found;
}

export function primaryOf(service: Service): Deployment {
  const found = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
  if (found === undefined) throw new Error(`${service.serviceName} has no PRIMARY deployment`);
  return found;
}

/** The service's tasks with desired status RUNNING. */
export async function liveTasks(cluster: string, service: string): Promise<Task[]> {
  const arns = (await ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus: 'RUNNING' }))).taskArns ?? [];
  if (arns.length === 0) return [];
  return (await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? [];
}

export const waitFor = eventuallyWith({ ms: 15_000, every: 50 });

/** Until the service has one COMPLETED deployment and all desired tasks run: the state a rollout starts from. */
export function steady(cluster: string, service: string): Promise<Service> {
  return waitFor(`${cluster}/${service} to be steady`, async () => {
    const described = await describeService(cluster, service);
    const deployments = described.deployments ?? [];
    return deployments.length === 1 && deployments[0]?.rolloutState === 'COMPLETED' && described.runningCount === described.desiredCount
      ? described
      : undefined;
  });
}

export async function steadyService(
  cluster: string,
  name: string,
  taskDefinition: string,
  extra: Partial<CreateServiceCommandInput> = {},
): Promise<Service> {
  await createService(ecs, cluster, name, taskDefinition, extra);
  return steady(cluster, name);
}

/** Calls after the last call of `action` (none when there was no such call). */
export function callsAfterLast(calls: readonly SandboxCall[], action: string): SandboxCall[] {
  const last = calls.map((call) => call.action).lastIndexOf(action);
  return last === -1 ? [] : calls.slice(last + 1);
}
