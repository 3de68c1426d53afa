import type { MissingClusterError } from './errors.js';
import type { ServiceDeploymentRecord } from './gone-deployment.js';
import type { ServiceDeploymentSnapshot, ServiceSnapshot, TaskDefinitionSnapshot, TaskSnapshot } from './model.js';
import type { RegisterTaskDefinitionInput } from './task-definition.js';

/**
 * The part of ECS the executor needs. The AWS adapter implements it with the SDK;
 * unit tests implement it with plain objects.
 */
export interface EcsPort {
  /**
   * One attempt, never retried inside: a retry after a lost answer would register a duplicate.
   * Transient failures are thrown as TransientAwsError; the executor decides whether to try again.
   */
  registerTaskDefinition(input: RegisterTaskDefinitionInput): Promise<{ taskDefinitionArn: string }>;
  /** The newest ACTIVE revision of a family, described afresh (with tags); undefined if there is none. */
  latestTaskDefinition(family: string): Promise<TaskDefinitionSnapshot | undefined>;
  /**
   * The family's newest ACTIVE revision as the adapter last saw it, at no cost: null when it had none,
   * undefined when it does not know. Discovery describes families by name, so this spares the
   * registration step a call.
   */
  newestRevisionSeen?(family: string): TaskDefinitionSnapshot | null | undefined;
  /** One revision (`family:N` or its ARN), with tags; revisions never change, so adapters may cache it. */
  describeTaskDefinition(taskDefinition: string): Promise<TaskDefinitionSnapshot>;
  updateService(request: UpdateServiceRequest): Promise<ServiceSnapshot>;
  /** At most DESCRIBE_SERVICES_MAX_NAMES names in one call, as the API allows. */
  describeServices(cluster: string, services: readonly string[]): Promise<ServiceSnapshot[]>;
  /** The service's tasks whose desired status is RUNNING, whatever their revision. */
  listServiceTasks(cluster: string, service: string): Promise<TaskSnapshot[]>;
  stopTask(cluster: string, taskArn: string, reason: string): Promise<void>;
  /** Sets tags on a resource (a task definition revision's push time); optional for ports that never record one. */
  tagResource?(resourceArn: string, tags: readonly { key: string; value: string }[]): Promise<void>;
  /**
   * Container instance ARN → EC2 instance id (DescribeContainerInstances, at most 100 a call), for matching bridge
   * and host tasks to `instance` targets; optional: without it such tasks never count as healthy, so `replace`
   * stops nothing there and leaves the work to ECS.
   */
  ec2InstanceIds?(cluster: string, containerInstanceArns: readonly string[]): Promise<ReadonlyMap<string, string>>;
  /** The newest service deployment, for the stage of a BLUE_GREEN, LINEAR or CANARY deployment; optional for adapters without it. */
  latestServiceDeployment?(cluster: string, service: string): Promise<ServiceDeploymentSnapshot | undefined>;
  /**
   * ECS's records of the service's deployments created after `since` (epoch ms), read only when a tracked
   * deployment has left the service, to say why; optional for adapters without it.
   */
  serviceDeploymentsSince?(cluster: string, service: string, since: number): Promise<ServiceDeploymentRecord[]>;
}

/**
 * The reads that find what a command works on (discovery, one service by name). The AWS adapter
 * answers them with the SDK; unit tests with plain objects, so a whole command runs against a fake.
 */
export interface EcsReader extends Pick<EcsPort, 'describeServices' | 'describeTaskDefinition' | 'latestTaskDefinition'> {
  /** The region the calls go to, when the adapter can tell without a call. */
  region(): Promise<string | undefined>;
  listClusterArns(): Promise<string[]>;
  listServiceArns(cluster: string): Promise<string[]>;
  /** Every task definition family with an ACTIVE revision. */
  listActiveFamilies(): Promise<string[]>;
  /** The usage error for a cluster that does not exist, worded the same for every command. */
  missingCluster(cluster: string, region: string | undefined): MissingClusterError;
}

/** Elastic Load Balancing, for the health ECS waits for before it counts a load-balanced task. */
export interface LoadBalancerPort {
  /** DescribeTargetHealth of one target group: every registered target with its State (healthy, initial, draining…). */
  targetHealth(targetGroupArn: string): Promise<{ id: string; port?: number; state: string }[]>;
}

export interface UpdateServiceRequest {
  readonly cluster: string;
  readonly service: string;
  readonly taskDefinitionArn?: string;
  readonly forceNewDeployment?: boolean;
  readonly desiredCount?: number;
}

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};
