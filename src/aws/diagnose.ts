import { DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand, ListTasksCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { mapConcurrent } from '../core/collections.js';
import type { Diagnosis } from '../core/diagnosis.js';
import { diagnoseService, type DiagnosisPort, type FailedService, type TaskDefinitionForDiagnosis } from '../core/diagnosis-gather.js';
import type { RolloutResult, ServiceOutcome } from '../core/execute.js';
import { DESCRIBE_TASKS_MAX_ARNS, LIST_PAGE_MAX_RESULTS } from '../core/limits.js';
import { clientConfig, type AwsConfig } from './config.js';

const epochMs = (date: Date | undefined): number | undefined => (date === undefined ? undefined : date.getTime());

/** The diagnosis reads through the SDK. The ELBv2 and CloudWatch Logs clients load only when a read needs them. */
export class SdkDiagnosisPort implements DiagnosisPort {
  private readonly taskDefinitions = new Map<string, Promise<TaskDefinitionForDiagnosis>>();
  private elb?: Promise<{ send: (command: unknown) => Promise<unknown>; make: (arn: string) => unknown; destroy(): void }>;
  private readonly logClients = new Map<
    string,
    Promise<{ client: { send(command: unknown): Promise<unknown>; destroy(): void }; make: (input: unknown) => unknown }>
  >();

  constructor(
    private readonly ecs: ECSClient,
    private readonly aws: AwsConfig,
  ) {}

  async describeService(cluster: string, service: string) {
    const answer = await this.ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
    const found = answer.services?.[0];
    if (found === undefined) return undefined;
    return {
      deployments: (found.deployments ?? []).map((deployment) => ({
        id: deployment.id ?? '',
        ...optional('createdAt', epochMs(deployment.createdAt)),
      })),
      events: (found.events ?? []).map((event) => ({ message: event.message ?? '', ...optional('createdAt', epochMs(event.createdAt)) })),
      targetGroupArns: (found.loadBalancers ?? []).flatMap((balancer) => (balancer.targetGroupArn === undefined ? [] : [balancer.targetGroupArn])),
    };
  }

  async listStoppedTasks(cluster: string, service: string) {
    const answer = await this.ecs.send(
      new ListTasksCommand({ cluster, serviceName: service, desiredStatus: 'STOPPED', maxResults: LIST_PAGE_MAX_RESULTS }),
    );
    return answer.taskArns ?? [];
  }

  async describeTasks(cluster: string, taskArns: readonly string[]) {
    const answer = await this.ecs.send(new DescribeTasksCommand({ cluster, tasks: taskArns.slice(0, DESCRIBE_TASKS_MAX_ARNS) }));
    return (answer.tasks ?? []).map((task) => ({
      taskArn: task.taskArn ?? '',
      taskDefinitionArn: task.taskDefinitionArn ?? '',
      ...optional('stopCode', task.stopCode),
      ...optional('stoppedReason', task.stoppedReason),
      ...optional('healthStatus', task.healthStatus),
      ...optional('stoppedAt', epochMs(task.stoppedAt)),
      ...optional('createdAt', epochMs(task.createdAt)),
      containers: (task.containers ?? []).map((container) => ({
        name: container.name ?? '',
        ...optional('exitCode', container.exitCode ?? undefined),
        ...optional('reason', container.reason),
        ...optional('healthStatus', container.healthStatus),
      })),
    }));
  }

  describeTaskDefinition(taskDefinitionArn: string): Promise<TaskDefinitionForDiagnosis> {
    let found = this.taskDefinitions.get(taskDefinitionArn);
    if (found === undefined) {
      found = this.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn })).then((answer) => {
        const containers = answer.taskDefinition?.containerDefinitions ?? [];
        return {
          containers: containers.map((container) => {
            const options = container.logConfiguration?.options ?? {};
            const group = options['awslogs-group'];
            return {
              name: container.name ?? '',
              ...(container.logConfiguration?.logDriver === 'awslogs' && group !== undefined
                ? {
                    awslogs: {
                      group,
                      ...optional('streamPrefix', options['awslogs-stream-prefix']),
                      ...optional('region', options['awslogs-region']),
                    },
                  }
                : {}),
            };
          }),
          sensitive: containers.flatMap((container) => [
            ...(container.environment ?? []).map((variable) => variable.value ?? ''),
            ...(container.secrets ?? []).map((secret) => secret.valueFrom ?? ''),
          ]),
        };
      });
      this.taskDefinitions.set(taskDefinitionArn, found);
    }
    return found;
  }

  async targetHealth(targetGroupArn: string) {
    this.elb ??= import('@aws-sdk/client-elastic-load-balancing-v2').then(({ ElasticLoadBalancingV2Client, DescribeTargetHealthCommand }) => {
      const client = new ElasticLoadBalancingV2Client(clientConfig(this.aws));
      return {
        send: (command: unknown) => client.send(command as InstanceType<typeof DescribeTargetHealthCommand>),
        make: (arn: string) => new DescribeTargetHealthCommand({ TargetGroupArn: arn }),
        destroy: () => client.destroy(),
      };
    });
    const elb = await this.elb;
    const answer = (await elb.send(elb.make(targetGroupArn))) as {
      TargetHealthDescriptions?: {
        Target?: { Id?: string; Port?: number };
        TargetHealth?: { State?: string; Reason?: string; Description?: string };
      }[];
    };
    const group = targetGroupArn.split(':').pop() ?? targetGroupArn;
    return (answer.TargetHealthDescriptions ?? []).map((description) => ({
      targetGroup: group,
      target: `${description.Target?.Id ?? '?'}${description.Target?.Port === undefined ? '' : `:${description.Target.Port}`}`,
      state: description.TargetHealth?.State ?? 'unknown',
      ...optional('reason', description.TargetHealth?.Reason),
      ...optional('description', description.TargetHealth?.Description),
    }));
  }

  async logTail(group: string, stream: string, region: string | undefined, limit: number) {
    const key = region ?? '';
    let entry = this.logClients.get(key);
    if (entry === undefined) {
      entry = import('@aws-sdk/client-cloudwatch-logs').then(({ CloudWatchLogsClient, GetLogEventsCommand }) => ({
        client: new CloudWatchLogsClient({ ...clientConfig(this.aws), ...(region === undefined ? {} : { region }) }) as unknown as {
          send(command: unknown): Promise<unknown>;
          destroy(): void;
        },
        make: (input: unknown) => new GetLogEventsCommand(input as ConstructorParameters<typeof GetLogEventsCommand>[0]),
      }));
      this.logClients.set(key, entry);
    }
    const { client, make } = await entry;
    // Without startFromHead, GetLogEvents returns the newest events: the end of the log is what explains a crash.
    const answer = (await client.send(make({ logGroupName: group, logStreamName: stream, limit, startFromHead: false }))) as {
      events?: { message?: string }[];
    };
    return (answer.events ?? []).map((event) => (event.message ?? '').replace(/\s+$/, ''));
  }

  async destroy(): Promise<void> {
    if (this.elb !== undefined) (await this.elb.catch(() => undefined))?.destroy();
    for (const entry of this.logClients.values()) (await entry.catch(() => undefined))?.client.destroy();
  }
}

function optional<K extends string, V>(key: K, value: V | undefined | null): { [P in K]?: V } {
  return (value === undefined || value === null || value === '' ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The outcomes a diagnosis explains; `another service failed` is explained on that other service. */
const DIAGNOSED = new Set<ServiceOutcome['outcome']>(['failed', 'timed-out', 'rolled-back', 'rollback-failed']);
const ROLLED_BACK_FOR_ANOTHER = /^another service in this rollout failed/;
const TIMED_OUT = /did not finish within \d+ s/;

export function needsDiagnosis(service: ServiceOutcome): boolean {
  return DIAGNOSED.has(service.outcome) && !ROLLED_BACK_FOR_ANOTHER.test(service.reason ?? '');
}

/**
 * Adds a diagnosis to every service of the result that did not finish, reading at most
 * DIAGNOSIS_LIMITS.callsPerService API calls for each, a few services at a time.
 */
export async function diagnoseResult(
  ecs: ECSClient,
  aws: AwsConfig,
  result: RolloutResult,
  since: number,
  onDiagnosis: (service: ServiceOutcome, diagnosis: Diagnosis) => void = () => {},
): Promise<RolloutResult> {
  const failed = result.services.filter(needsDiagnosis);
  if (failed.length === 0) return result;
  const port = new SdkDiagnosisPort(ecs, aws);
  try {
    const diagnoses = new Map<ServiceOutcome, Diagnosis>();
    await mapConcurrent(failed, 4, async (service) => {
      const request: FailedService = {
        cluster: service.cluster,
        service: service.service,
        since,
        ending: service.outcome === 'timed-out' || TIMED_OUT.test(service.reason ?? '') ? 'timed-out' : 'failed',
        ...optional('newTaskDefinitionArn', service.newTaskDefinitionArn),
        ...optional('deploymentId', service.deploymentId),
        ...optional('reason', service.reason),
      };
      const diagnosis = await diagnoseService(port, request);
      diagnoses.set(service, diagnosis);
      onDiagnosis(service, diagnosis);
    });
    return {
      ...result,
      services: result.services.map((service) => {
        const diagnosis = diagnoses.get(service);
        return diagnosis === undefined ? service : { ...service, diagnosis };
      }),
    };
  } finally {
    await port.destroy();
  }
}
