import { classifyFailure, type Diagnosis, type LogTail, type StoppedTask, type TargetHealthEntry } from './diagnosis.js';
import { redactor } from './redact.js';

/**
 * The reads a diagnosis makes, each one API call. The AWS adapter implements them with the SDK;
 * tests implement them with plain objects. A read that fails leaves its evidence out.
 */
export interface DiagnosisPort {
  /** DescribeServices for one service. */
  describeService(cluster: string, service: string): Promise<ServiceForDiagnosis | undefined>;
  /** ListTasks, desiredStatus STOPPED, one page (at most 100 ARNs). */
  listStoppedTasks(cluster: string, service: string): Promise<string[]>;
  /** DescribeTasks (at most 100 ARNs). */
  describeTasks(cluster: string, taskArns: readonly string[]): Promise<StoppedTaskDetail[]>;
  /** DescribeTaskDefinition. */
  describeTaskDefinition(taskDefinitionArn: string): Promise<TaskDefinitionForDiagnosis>;
  /** ELBv2 DescribeTargetHealth for one target group. */
  targetHealth(targetGroupArn: string): Promise<TargetHealthEntry[]>;
  /** CloudWatch Logs GetLogEvents: the last `limit` events of one stream, oldest first. */
  logTail(group: string, stream: string, region: string | undefined, limit: number): Promise<string[]>;
}

export interface ServiceForDiagnosis {
  readonly deployments: readonly { readonly id: string; readonly createdAt?: number }[];
  readonly events: readonly { readonly message: string; readonly createdAt?: number }[];
  readonly targetGroupArns: readonly string[];
}

export interface StoppedTaskDetail extends StoppedTask {
  readonly taskDefinitionArn: string;
  /** Epoch ms. */
  readonly stoppedAt?: number;
  readonly createdAt?: number;
}

export interface ContainerForDiagnosis {
  readonly name: string;
  /** awslogs options, when the container logs with the awslogs driver. */
  readonly awslogs?: { readonly group: string; readonly streamPrefix?: string; readonly region?: string };
}

export interface TaskDefinitionForDiagnosis {
  readonly containers: readonly ContainerForDiagnosis[];
  /** Environment values and secret references: never shown, wherever they turn up. */
  readonly sensitive: readonly string[];
}

export interface FailedService {
  readonly cluster: string;
  readonly service: string;
  readonly newTaskDefinitionArn?: string;
  readonly deploymentId?: string;
  /** Epoch ms: when this run started, for when the deployment itself is gone (rolled back). */
  readonly since: number;
  readonly ending: 'failed' | 'timed-out';
  readonly reason?: string;
}

/** The bounds the README states: at most this many API calls per failed service, and this much log text. */
export const DIAGNOSIS_LIMITS = {
  /** DescribeServices, ListTasks, DescribeTasks, DescribeTaskDefinition, 2 DescribeTargetHealth, 2 GetLogEvents. */
  callsPerService: 8,
  targetGroups: 2,
  logContainers: 2,
  logLines: 20,
  logLineChars: 200,
  logBytes: 4096,
  stoppedTasks: 10,
  events: 10,
  /** Clock skew allowed between this machine and ECS when the deployment's own createdAt is gone. */
  skewMs: 60_000,
} as const;

async function attempt<T>(read: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await read();
  } catch {
    return fallback;
  }
}

function taskId(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}

const BYTES = new TextEncoder();

/** Keeps the newest lines within the per-line and overall limits. */
function trimTails(tails: LogTail[]): LogTail[] {
  let budget: number = DIAGNOSIS_LIMITS.logBytes;
  return tails.map((tail) => {
    const kept: string[] = [];
    for (const raw of [...tail.lines].reverse()) {
      const line = raw.length > DIAGNOSIS_LIMITS.logLineChars ? `${raw.slice(0, DIAGNOSIS_LIMITS.logLineChars - 1)}…` : raw;
      const size = BYTES.encode(line).length + 1;
      if (size > budget) break;
      budget -= size;
      kept.unshift(line);
    }
    return { container: tail.container, lines: kept };
  });
}

/**
 * Reads what ECS left behind about one failed service (at most DIAGNOSIS_LIMITS.callsPerService calls)
 * and classifies it. Values that could be secret are masked before anything is classified or shown.
 */
export async function diagnoseService(port: DiagnosisPort, failed: FailedService): Promise<Diagnosis> {
  const base = { ending: failed.ending, ...(failed.reason === undefined ? {} : { reason: failed.reason }) };
  if (failed.newTaskDefinitionArn === undefined) {
    // Failed before a deployment existed (e.g. UpdateService refused): the reason is all there is.
    return classifyFailure({ ...base, stoppedTasks: [], events: [], targetHealth: [], logTails: [] });
  }
  const newArn = failed.newTaskDefinitionArn;
  const [service, stoppedArns, taskDefinition] = await Promise.all([
    attempt(() => port.describeService(failed.cluster, failed.service), undefined),
    attempt(() => port.listStoppedTasks(failed.cluster, failed.service), [] as string[]),
    attempt(() => port.describeTaskDefinition(newArn), { containers: [], sensitive: [] } as TaskDefinitionForDiagnosis),
  ]);
  const deploymentStart = service?.deployments.find((deployment) => deployment.id === failed.deploymentId)?.createdAt;
  const since = deploymentStart ?? failed.since - DIAGNOSIS_LIMITS.skewMs;

  const described = stoppedArns.length === 0 ? [] : await attempt(() => port.describeTasks(failed.cluster, stoppedArns.slice(0, 100)), []);
  const stoppedTasks = described
    .filter((task) => task.taskDefinitionArn === newArn && (task.stoppedAt ?? task.createdAt ?? since) >= since)
    .sort((a, b) => (b.stoppedAt ?? 0) - (a.stoppedAt ?? 0))
    .slice(0, DIAGNOSIS_LIMITS.stoppedTasks);
  const events = (service?.events ?? [])
    .filter((event) => (event.createdAt ?? since) >= since)
    .slice(0, DIAGNOSIS_LIMITS.events)
    .map((event) => event.message);

  const targetGroups = (service?.targetGroupArns ?? []).slice(0, DIAGNOSIS_LIMITS.targetGroups);
  const targetHealth = (await Promise.all(targetGroups.map((arn) => attempt(() => port.targetHealth(arn), [])))).flat();

  // The newest stopped task of each failed container that logs with awslogs.
  const wanted: { container: ContainerForDiagnosis; task: StoppedTaskDetail }[] = [];
  for (const task of stoppedTasks) {
    for (const container of task.containers) {
      const failedContainer = (container.exitCode !== undefined && container.exitCode !== 0) || (container.reason ?? '') !== '';
      const definition = taskDefinition.containers.find((candidate) => candidate.name === container.name);
      if (!failedContainer || definition?.awslogs === undefined || wanted.some((entry) => entry.container.name === container.name)) continue;
      if (wanted.length < DIAGNOSIS_LIMITS.logContainers) wanted.push({ container: definition, task });
    }
  }
  const tails = await Promise.all(
    wanted.map(async ({ container, task }): Promise<LogTail> => {
      const awslogs = container.awslogs as NonNullable<ContainerForDiagnosis['awslogs']>;
      // The awslogs driver names the stream prefix/container-name/task-id:
      // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html
      const stream = `${awslogs.streamPrefix ?? 'ecs'}/${container.name}/${taskId(task.taskArn)}`;
      const lines = await attempt(() => port.logTail(awslogs.group, stream, awslogs.region, DIAGNOSIS_LIMITS.logLines), []);
      return { container: container.name, lines: lines.slice(-DIAGNOSIS_LIMITS.logLines) };
    }),
  );

  const redact = redactor(taskDefinition.sensitive);
  return classifyFailure({
    ...base,
    ...(failed.reason === undefined ? {} : { reason: redact(failed.reason) }),
    stoppedTasks: stoppedTasks.map((task) => ({
      taskArn: task.taskArn,
      ...(task.stopCode === undefined ? {} : { stopCode: task.stopCode }),
      ...(task.stoppedReason === undefined ? {} : { stoppedReason: redact(task.stoppedReason) }),
      ...(task.healthStatus === undefined ? {} : { healthStatus: task.healthStatus }),
      containers: task.containers.map((container) => ({
        ...container,
        ...(container.reason === undefined ? {} : { reason: redact(container.reason) }),
      })),
    })),
    events: events.map(redact),
    targetHealth: targetHealth.map((entry) => ({ ...entry, ...(entry.description === undefined ? {} : { description: redact(entry.description) }) })),
    logTails: trimTails(tails.map((tail) => ({ container: tail.container, lines: tail.lines.map(redact) }))),
  });
}
