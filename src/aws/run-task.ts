import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeTasksCommand,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ECSClient,
  type RunTaskCommandInput,
  type Task,
} from '@aws-sdk/client-ecs';
import { chunk } from '../core/collections.js';
import { DESCRIBE_TASKS_MAX_ARNS, LIST_PAGE_MAX_RESULTS } from '../core/limits.js';
import type { Tag } from '../core/model.js';
import type { RunTaskState } from '../core/run-diagnosis.js';
import type { RunTaskAnswer, RunTaskRequest, TaskRunPort } from '../core/run-step.js';
import { clientConfig, type AwsConfig } from './config.js';
import { isAwsError } from './errors.js';
import { ecsTags, tagsFromSdk } from './tags.js';

/** How long the clean-up StopTask may take once the run itself has been interrupted. */
const STOP_TASK_TIMEOUT_MS = 15_000;

function toRunTaskState(task: Task): RunTaskState {
  return {
    taskArn: task.taskArn ?? '',
    lastStatus: task.lastStatus ?? 'UNKNOWN',
    ...(task.desiredStatus === undefined ? {} : { desiredStatus: task.desiredStatus }),
    ...(task.stopCode === undefined ? {} : { stopCode: task.stopCode }),
    ...(task.stoppedReason === undefined || task.stoppedReason === '' ? {} : { stoppedReason: task.stoppedReason }),
    ...(task.createdAt === undefined ? {} : { createdAt: task.createdAt.toISOString() }),
    ...(task.startedAt === undefined ? {} : { startedAt: task.startedAt.toISOString() }),
    ...(task.stoppedAt === undefined ? {} : { stoppedAt: task.stoppedAt.toISOString() }),
    containers: (task.containers ?? []).map((container) => ({
      name: container.name ?? '',
      ...(container.exitCode === undefined || container.exitCode === null ? {} : { exitCode: container.exitCode }),
      ...(container.reason === undefined || container.reason === '' ? {} : { reason: container.reason }),
      ...(container.lastStatus === undefined ? {} : { lastStatus: container.lastStatus }),
    })),
    tags: tagsFromSdk(task.tags),
  };
}

/**
 * One-off tasks through the SDK.
 * RunTask: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html
 * DescribeTasks: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html
 * GetLogEvents: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html
 */
export class SdkTaskRunner implements TaskRunPort {
  private readonly logClients = new Map<string, CloudWatchLogsClient>();

  constructor(
    private readonly ecs: ECSClient,
    private readonly aws: AwsConfig,
  ) {}

  async runTask(request: RunTaskRequest): Promise<RunTaskAnswer> {
    const input: RunTaskCommandInput = {
      cluster: request.cluster,
      taskDefinition: request.taskDefinitionArn,
      count: 1,
      startedBy: request.startedBy,
      // RunTask's propagateTags takes TASK_DEFINITION only ("An error will be received if you specify the
      // SERVICE option when running a task"); the task definition's tags (team, cost centre) follow the task.
      propagateTags: 'TASK_DEFINITION',
      tags: ecsTags(request.tags),
      // Idempotent: the SDK's retry of a call whose answer was lost starts no second task (ECS_Idempotency.html).
      clientToken: request.clientToken,
      overrides: { containerOverrides: [{ name: request.container, command: [...request.command] }] },
      ...(request.launch.capacityProviderStrategy === undefined
        ? request.launch.launchType === undefined
          ? {}
          : { launchType: request.launch.launchType as RunTaskCommandInput['launchType'] }
        : { capacityProviderStrategy: request.launch.capacityProviderStrategy.map((item) => ({ ...item })) }),
      ...(request.launch.platformVersion === undefined ? {} : { platformVersion: request.launch.platformVersion }),
      ...(request.launch.networkConfiguration === undefined
        ? {}
        : { networkConfiguration: request.launch.networkConfiguration as RunTaskCommandInput['networkConfiguration'] }),
    };
    const answer = await this.ecs.send(new RunTaskCommand(input));
    const task = answer.tasks?.[0];
    return {
      ...(task === undefined ? {} : { task: toRunTaskState(task) }),
      failures: (answer.failures ?? []).map((failure) => ({
        ...(failure.arn === undefined ? {} : { arn: failure.arn }),
        ...(failure.reason === undefined ? {} : { reason: failure.reason }),
        ...(failure.detail === undefined ? {} : { detail: failure.detail }),
      })),
    };
  }

  async describeTask(cluster: string, taskArn: string): Promise<RunTaskState | undefined> {
    const answer = await this.ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn], include: ['TAGS'] }));
    const task = answer.tasks?.[0];
    return task === undefined ? undefined : toRunTaskState(task);
  }

  async findTasks(cluster: string, startedBy: string, tags: readonly Tag[]): Promise<RunTaskState[]> {
    // ListTasks filters by startedBy but not by tag; DescribeTasks with include TAGS gives the tags to match.
    // ECS keeps stopped tasks visible for a while (at least an hour), which covers a re-run after a crash.
    const arns: string[] = [];
    for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
      let nextToken: string | undefined;
      do {
        const page = await this.ecs.send(new ListTasksCommand({ cluster, startedBy, desiredStatus, maxResults: LIST_PAGE_MAX_RESULTS, nextToken }));
        arns.push(...(page.taskArns ?? []));
        nextToken = page.nextToken;
      } while (nextToken !== undefined);
    }
    const found: RunTaskState[] = [];
    for (const group of chunk([...new Set(arns)], DESCRIBE_TASKS_MAX_ARNS)) {
      const answer = await this.ecs.send(new DescribeTasksCommand({ cluster, tasks: group, include: ['TAGS'] }));
      for (const task of answer.tasks ?? []) {
        const state = toRunTaskState(task);
        if (tags.every((tag) => state.tags.some((own) => own.key === tag.key && own.value === tag.value))) found.push(state);
      }
    }
    return found;
  }

  async stopTask(cluster: string, taskArn: string, reason: string): Promise<void> {
    // Stopping the task is the clean-up after Ctrl-C or the run's timeout, when the run's signal has already
    // aborted every other call: it carries a bound of its own instead, so the task is not left running.
    await this.ecs.send(new StopTaskCommand({ cluster, task: taskArn, reason }), { abortSignal: AbortSignal.timeout(STOP_TASK_TIMEOUT_MS) });
  }

  async logTail(location: { group: string; stream: string; region?: string }, lines: number): Promise<string[]> {
    const client = this.logsClient(location.region);
    try {
      // startFromHead false with a limit gives the newest events, in time order.
      const answer = await client.send(
        new GetLogEventsCommand({ logGroupName: location.group, logStreamName: location.stream, limit: lines, startFromHead: false }),
      );
      return (answer.events ?? []).map((event) => event.message ?? '');
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return [];
      throw error;
    }
  }

  destroy(): void {
    for (const client of this.logClients.values()) client.destroy();
  }

  private logsClient(region: string | undefined): CloudWatchLogsClient {
    const key = region ?? '';
    let client = this.logClients.get(key);
    if (client === undefined) {
      client = new CloudWatchLogsClient({ ...clientConfig(this.aws), ...(region === undefined ? {} : { region }) });
      this.logClients.set(key, client);
    }
    return client;
  }
}
