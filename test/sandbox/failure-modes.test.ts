// The sandbox's failure modes (failure_modes.py), read back with the real SDK clients as a user would
// read them from ECS and CloudWatch Logs: stop codes, reasons, exit codes, health and log lines.
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from './endpoint.js';
import { sandboxControl } from './client.js';
import { eventually } from '../eventually.js';

const endpoint = sandboxEndpoint();
const control = sandboxControl(endpoint);
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const ecs = new ECSClient({ endpoint, region: 'us-east-1', credentials });
const logs = new CloudWatchLogsClient({ endpoint, region: 'us-east-1', credentials });
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf';

/** A service on `image` (plus a healthy sidecar); resolves with its first stopped task. */
async function firstStoppedTask(image: string): Promise<Task> {
  await ecs.send(new CreateClusterCommand({ clusterName: 'modes' }));
  const registered = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'app',
      containerDefinitions: [
        {
          name: 'app',
          image,
          essential: true,
          memory: 256,
          secrets: [{ name: 'DB', valueFrom: SECRET }],
          logConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': '/ecs/app', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'svc' },
          },
        },
        { name: 'sidecar', image: 'envoy:1.30', essential: false, memory: 64 },
      ],
    }),
  );
  await ecs.send(
    new CreateServiceCommand({
      cluster: 'modes',
      serviceName: 'app',
      taskDefinition: registered.taskDefinition?.taskDefinitionArn,
      desiredCount: 1,
      launchType: 'FARGATE',
    }),
  );
  return eventually(
    `a stopped task of ${image}`,
    async () => {
      const listed = await ecs.send(new ListTasksCommand({ cluster: 'modes', serviceName: 'app', desiredStatus: 'STOPPED' }));
      if ((listed.taskArns ?? []).length === 0) return undefined;
      const described = await ecs.send(new DescribeTasksCommand({ cluster: 'modes', tasks: listed.taskArns?.slice(0, 1) }));
      return described.tasks?.[0] as Task;
    },
    { ms: 8_000, every: 100 },
  );
}

const container = (task: Task, name: string) => task.containers?.find((candidate) => candidate.name === name);

beforeEach(async () => {
  await control.reset();
});

describe('failure modes, selected by the image tag', () => {
  it('fail-pull: TaskFailedToStart, CannotPullContainerError naming the reference, no exit code', async () => {
    const task = await firstStoppedTask('acme/app:fail-pull-7');
    expect(task.stopCode).toBe('TaskFailedToStart');
    expect(task.stoppedReason).toBe(
      'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/acme/app:fail-pull-7: docker.io/acme/app:fail-pull-7: not found',
    );
    expect(container(task, 'app')?.exitCode).toBeUndefined();
    expect(container(task, 'app')?.reason).toMatch(/^CannotPullContainerError/);
    expect(task.containers?.map((c) => c.name)).toEqual(['app', 'sidecar']);
  });

  it('fail-secret: TaskFailedToStart, ResourceInitializationError naming the secret', async () => {
    const task = await firstStoppedTask('acme/app:fail-secret');
    expect(task.stopCode).toBe('TaskFailedToStart');
    expect(task.stoppedReason).toMatch(
      /^ResourceInitializationError: unable to pull secrets or registry auth: .*failed to fetch secret arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf from secrets manager/,
    );
  });

  it('fail-start: TaskFailedToStart, a CannotStartContainerError on the task and its container, no exit code', async () => {
    const task = await firstStoppedTask('acme/app:fail-start');
    expect(task.stopCode).toBe('TaskFailedToStart');
    expect(task.stoppedReason).toMatch(/^CannotStartContainerError: Error response from daemon: .*permission denied: unknown$/);
    expect(container(task, 'app')).toMatchObject({ reason: task.stoppedReason });
    expect(container(task, 'app')?.exitCode).toBeUndefined();
  });

  it('fail-oom: exit 137, OutOfMemoryError on the container, EssentialContainerExited', async () => {
    const task = await firstStoppedTask('acme/app:fail-oom');
    expect(task).toMatchObject({ stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' });
    expect(container(task, 'app')).toMatchObject({ exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' });
    expect(container(task, 'sidecar')?.exitCode).toBe(0);
  });

  it('fail-exit1: exit 1, and its lines in the awslogs stream prefix/container/task-id', async () => {
    const task = await firstStoppedTask('acme/app:fail-exit1');
    expect(container(task, 'app')?.exitCode).toBe(1);
    const taskId = task.taskArn?.split('/').pop();
    const events = await logs.send(new GetLogEventsCommand({ logGroupName: '/ecs/app', logStreamName: `svc/app/${taskId}`, limit: 20 }));
    expect(events.events?.map((event) => event.message).at(-1)).toBe('fatal: could not connect to the database; exiting with code 1');
  });

  it('fail-health: the container turns UNHEALTHY and the scheduler replaces the task', async () => {
    const task = await firstStoppedTask('acme/app:fail-health');
    expect(task).toMatchObject({
      stopCode: 'ServiceSchedulerInitiated',
      stoppedReason: 'Task failed container health checks',
      healthStatus: 'UNHEALTHY',
    });
    expect(container(task, 'app')?.healthStatus).toBe('UNHEALTHY');
  });
});
