import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  paginateListClusters,
  paginateListServices,
  paginateListTaskDefinitionFamilies,
  paginateListTasks,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type RegisterTaskDefinitionCommandOutput,
  type Tag as SdkTag,
  StopTaskCommand,
  TagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { chunk } from '../core/collections.js';
import { MissingClusterError, OperationFailedError, RevisionConflictError, TransientAwsError } from '../core/errors.js';
import type { ServiceDeploymentRecord } from '../core/gone-deployment.js';
import {
  DESCRIBE_CONTAINER_INSTANCES_MAX_ARNS,
  DESCRIBE_SERVICES_MAX_NAMES,
  DESCRIBE_TASKS_MAX_ARNS,
  LIST_PAGE_MAX_RESULTS,
} from '../core/limits.js';
import {
  nameFromArn,
  revisionName,
  type ServiceDeploymentSnapshot,
  type ServiceSnapshot,
  type TaskDefinitionSnapshot,
  type TaskSnapshot,
} from '../core/model.js';
import type { EcsPort, EcsReader, UpdateServiceRequest } from '../core/ports.js';
import type { RegisterTaskDefinitionInput } from '../core/task-definition.js';
import { type AwsConfig, clientConfig } from './config.js';
import { latestServiceDeployment, serviceDeploymentsSince } from './deployments.js';
import { toServiceSnapshot, toTaskDefinitionSnapshot, toTaskSnapshot } from './ecs-snapshots.js';
import { isAwsError, isTransientAwsError } from './errors.js';
import { allItems } from './pages.js';
import { captureRawBody, unmodelledTaskDefinitionFields } from './raw-json.js';
import { ecsTags } from './tags.js';

// Discovery reads through SdkEcs and lives in ecs-discovery.ts; re-exported for the install code that imports it from here.
export { type DiscoveryOptions, discoverRolloutState } from './ecs-discovery.js';

export function createEcsClient(config: AwsConfig, options: { retries?: boolean } = {}): ECSClient {
  return new ECSClient({ ...clientConfig(config), ...(options.retries === false ? { maxAttempts: 1 } : {}) });
}

/**
 * ECS refuses a registration while another one of the same family is in flight (seen by terraform-provider-aws
 * #9777, PrefectHQ/prefect #15865, jenkinsci/amazon-ecs-plugin #105); the message is the only way to tell it apart.
 */
export function isRevisionConflict(error: unknown): boolean {
  return isAwsError(error, 'ClientException') && /too many concurrent attempts to create a new revision/i.test((error as Error).message);
}

/**
 * ECS through the SDK: the executor's port, plus the reads discovery needs. Task definition
 * revisions never change, so each is described once for the life of this object.
 */
export class SdkEcs implements EcsPort, EcsReader {
  /** By revision name (`family:N`), however the revision was asked for: ARN or name. */
  private readonly taskDefinitions = new Map<string, Promise<TaskDefinitionSnapshot>>();
  /** Each family's newest ACTIVE revision as last seen: described by family name, or registered here since. */
  private readonly newestSeen = new Map<string, TaskDefinitionSnapshot | null>();
  /** Container instance ARN → EC2 instance id: an instance keeps its id for as long as it is registered. */
  private readonly instanceIds = new Map<string, string>();

  /**
   * @param registrationClient a client without retries, for the one call whose blind retry
   *   would duplicate its effect (RegisterTaskDefinition); the executor retries it with care.
   */
  constructor(
    readonly client: ECSClient,
    private readonly registrationClient: ECSClient = client,
  ) {}

  /** The region the client calls, resolved as the SDK does (no network call); undefined if it cannot tell. */
  async region(): Promise<string | undefined> {
    try {
      const config = (this.client as Partial<ECSClient>).config;
      return config === undefined ? undefined : await config.region();
    } catch {
      return undefined;
    }
  }

  missingCluster(cluster: string, region: string | undefined): MissingClusterError {
    return new MissingClusterError(`cluster ${nameFromArn(cluster)} does not exist in ${region === undefined ? 'this region' : `region ${region}`}`);
  }

  async registerTaskDefinition(input: RegisterTaskDefinitionInput): Promise<{ taskDefinitionArn: string }> {
    let answer: RegisterTaskDefinitionCommandOutput;
    try {
      answer = await this.registrationClient.send(new RegisterTaskDefinitionCommand(input as unknown as RegisterTaskDefinitionCommandInput));
    } catch (error) {
      // It may have registered all the same: what the family's newest revision is, is no longer known.
      this.newestSeen.delete(input.family);
      if (isRevisionConflict(error)) {
        throw new RevisionConflictError(`RegisterTaskDefinition for ${input.family}: ${(error as Error).message}`, { cause: error });
      }
      if (isTransientAwsError(error)) {
        throw new TransientAwsError(`RegisterTaskDefinition for ${input.family}: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      }
      throw error;
    }
    const arn = answer.taskDefinition?.taskDefinitionArn;
    if (arn === undefined) {
      this.newestSeen.delete(input.family);
      throw new OperationFailedError(`RegisterTaskDefinition for ${input.family} answered without an ARN`);
    }
    // The answer is the whole new revision: it is now the family's newest, and no call is needed to know it.
    // ECS answers with its tags too (API_RegisterTaskDefinition.html); an emulator that leaves them out
    // stored the ones asked for.
    const registered = toTaskDefinitionSnapshot(answer.taskDefinition, answer.tags ?? (input.tags as SdkTag[] | undefined));
    if (registered !== undefined) {
      this.newestSeen.set(registered.family, registered);
      this.remember(registered);
    } else this.newestSeen.delete(input.family);
    return { taskDefinitionArn: arn };
  }

  async tagResource(resourceArn: string, tags: readonly { key: string; value: string }[]): Promise<void> {
    await this.client.send(new TagResourceCommand({ resourceArn, tags: ecsTags(tags) }));
    // The cached description of a revision would otherwise keep its old tags.
    this.taskDefinitions.delete(resourceArn);
  }

  async updateService(request: UpdateServiceRequest): Promise<ServiceSnapshot> {
    const answer = await this.client.send(
      new UpdateServiceCommand({
        cluster: request.cluster,
        service: request.service,
        ...(request.taskDefinitionArn === undefined ? {} : { taskDefinition: request.taskDefinitionArn }),
        ...(request.forceNewDeployment === undefined ? {} : { forceNewDeployment: request.forceNewDeployment }),
        ...(request.desiredCount === undefined ? {} : { desiredCount: request.desiredCount }),
      }),
    );
    if (answer.service === undefined) throw new OperationFailedError(`UpdateService for ${request.service} answered without the service`);
    return toServiceSnapshot(answer.service);
  }

  async describeServices(cluster: string, services: readonly string[]): Promise<ServiceSnapshot[]> {
    if (services.length > DESCRIBE_SERVICES_MAX_NAMES) {
      throw new RangeError(`DescribeServices takes at most ${DESCRIBE_SERVICES_MAX_NAMES} services, got ${services.length}`);
    }
    if (services.length === 0) return [];
    const answer = await this.client.send(new DescribeServicesCommand({ cluster, services: [...services] }));
    return (answer.services ?? []).map(toServiceSnapshot);
  }

  async listServiceTasks(cluster: string, service: string): Promise<TaskSnapshot[]> {
    const arns = await allItems(
      paginateListTasks({ client: this.client, pageSize: LIST_PAGE_MAX_RESULTS }, { cluster, serviceName: service, desiredStatus: 'RUNNING' }),
      (page) => page.taskArns,
    );

    const tasks: TaskSnapshot[] = [];
    for (const group of chunk(arns, DESCRIBE_TASKS_MAX_ARNS)) {
      const answer = await this.client.send(new DescribeTasksCommand({ cluster, tasks: group }));
      tasks.push(...(answer.tasks ?? []).map(toTaskSnapshot));
    }
    // Some emulators ignore serviceName; ECS marks a service's tasks with this group, so filter on it too.
    return tasks.filter((task) => task.group === undefined || task.group === `service:${service}`);
  }

  latestServiceDeployment(cluster: string, service: string): Promise<ServiceDeploymentSnapshot | undefined> {
    return latestServiceDeployment(this.client, cluster, service);
  }

  serviceDeploymentsSince(cluster: string, service: string, since: number): Promise<ServiceDeploymentRecord[]> {
    return serviceDeploymentsSince(this.client, cluster, service, since);
  }

  async ec2InstanceIds(cluster: string, containerInstanceArns: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const unknown = containerInstanceArns.filter((arn) => !this.instanceIds.has(arn));
    for (const group of chunk(unknown, DESCRIBE_CONTAINER_INSTANCES_MAX_ARNS)) {
      const answer = await this.client.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: group }));
      for (const instance of answer.containerInstances ?? []) {
        if (instance.containerInstanceArn !== undefined && instance.ec2InstanceId !== undefined) {
          this.instanceIds.set(instance.containerInstanceArn, instance.ec2InstanceId);
        }
      }
    }
    return new Map(
      containerInstanceArns.flatMap((arn) => {
        const id = this.instanceIds.get(arn);
        return id === undefined ? [] : [[arn, id] as const];
      }),
    );
  }

  async stopTask(cluster: string, taskArn: string, reason: string): Promise<void> {
    await this.client.send(new StopTaskCommand({ cluster, task: taskArn, reason }));
  }

  async listClusterArns(): Promise<string[]> {
    return allItems(paginateListClusters({ client: this.client, pageSize: LIST_PAGE_MAX_RESULTS }, {}), (page) => page.clusterArns);
  }

  async listServiceArns(cluster: string): Promise<string[]> {
    try {
      return await allItems(paginateListServices({ client: this.client, pageSize: LIST_PAGE_MAX_RESULTS }, { cluster }), (page) => page.serviceArns);
    } catch (error) {
      if (isAwsError(error, 'ClusterNotFoundException')) throw this.missingCluster(cluster, await this.region());
      throw error;
    }
  }

  async latestTaskDefinition(family: string): Promise<TaskDefinitionSnapshot | undefined> {
    try {
      return await this.fetchTaskDefinition(family);
    } catch (error) {
      if (isAwsError(error, 'ClientException') && /not found|does not exist|unable to describe/i.test(error.message)) {
        this.newestSeen.set(family, null);
        return undefined;
      }
      throw error;
    }
  }

  /**
   * The family's newest ACTIVE revision as this object last saw it, without a call: null when the family
   * had none, undefined when it has not been looked at (or a registration's outcome is unknown).
   */
  newestRevisionSeen(family: string): TaskDefinitionSnapshot | null | undefined {
    return this.newestSeen.get(family);
  }

  describeTaskDefinition(taskDefinition: string): Promise<TaskDefinitionSnapshot> {
    // A bare family name means "the newest revision", which changes; only revisions are cached.
    if (!/:\d+$/.test(taskDefinition)) return this.fetchTaskDefinition(taskDefinition);
    const name = revisionName(taskDefinition);
    let cached = this.taskDefinitions.get(name);
    if (cached === undefined) {
      cached = this.fetchTaskDefinition(taskDefinition);
      // A failure is not cached: the next caller asks again.
      cached.catch(() => this.taskDefinitions.delete(name));
      this.taskDefinitions.set(name, cached);
    }
    return cached;
  }

  private remember(snapshot: TaskDefinitionSnapshot): void {
    const name = revisionName(snapshot.arn);
    if (!this.taskDefinitions.has(name)) this.taskDefinitions.set(name, Promise.resolve(snapshot));
  }

  /**
   * One DescribeTaskDefinition. Asked by family name, ECS answers with the newest ACTIVE revision
   * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html),
   * which is remembered as the family's newest.
   */
  private async fetchTaskDefinition(taskDefinition: string): Promise<TaskDefinitionSnapshot> {
    const command = new DescribeTaskDefinitionCommand({ taskDefinition, include: ['TAGS'] });
    const rawBody = captureRawBody(command);
    const answer = await this.client.send(command);
    const described = toTaskDefinitionSnapshot(answer.taskDefinition, answer.tags);
    if (described === undefined) throw new OperationFailedError(`DescribeTaskDefinition ${taskDefinition} answered without a task definition`);
    const unmodelledFields = unmodelledTaskDefinitionFields(rawBody(), answer.taskDefinition);
    const snapshot: TaskDefinitionSnapshot = unmodelledFields.length === 0 ? described : { ...described, unmodelledFields };
    this.remember(snapshot);
    if (!/:\d+$/.test(taskDefinition)) this.newestSeen.set(snapshot.family, snapshot);
    return snapshot;
  }

  async listActiveFamilies(): Promise<string[]> {
    return allItems(
      paginateListTaskDefinitionFamilies({ client: this.client, pageSize: LIST_PAGE_MAX_RESULTS }, { status: 'ACTIVE' }),
      (page) => page.families,
    );
  }
}
