import { RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand, TagResourceCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { RolloutPorts, RolloutSession } from './rollout.js';
import type { TaskRunPort } from '../core/run-step.js';
import { abortWith, type AwsConfig } from '../aws/config.js';
import { createEcsClient, SdkEcs } from '../aws/ecs.js';
import { LazyLoadBalancers } from '../aws/elb.js';
import { checkTargetInRegistry } from '../aws/rollout-registry.js';
import { readRunningDigests } from '../aws/running-digests.js';

/** The calls a rollout makes through AWS: the registry check, then ECS, ELB, ECS tasks and logs for one run. */
export function sdkRolloutPorts(aws: AwsConfig): Pick<RolloutPorts, 'checkTarget' | 'open'> {
  return {
    checkTarget: (target, options, signal) => checkTargetInRegistry(target, options, aws, signal),
    open: (signal) => openSession(aws, signal),
  };
}

function openSession(aws: AwsConfig, stop: AbortSignal): RolloutSession {
  const client = abortWith(createEcsClient(aws), stop, isEcsChange);
  const registrationClient = abortWith(createEcsClient(aws, { retries: false }), stop, isEcsChange);
  const elb = new LazyLoadBalancers(aws);
  let tasks: (TaskRunPort & { destroy(): void }) | undefined;
  const ecs = new SdkEcs(client, registrationClient);
  return {
    ecs,
    elb,
    runningDigests: (services, target) => readRunningDigests(ecs, services, target),
    async taskRunner() {
      // Loaded only when a run-before step needs it: CloudWatch Logs' client is for its log tail alone.
      const { SdkTaskRunner } = await import('../aws/run-task.js');
      tasks ??= new SdkTaskRunner(client, aws);
      return tasks;
    },
    async diagnose(result, since, onDiagnosis) {
      const { diagnoseResult } = await import('../aws/diagnose.js');
      return diagnoseResult(client, aws, result, since, onDiagnosis);
    },
    close() {
      tasks?.destroy();
      client.destroy();
      registrationClient.destroy();
      elb.destroy();
    },
  };
}

/** The ECS calls a rollout makes that change something. */
function isEcsChange(command: unknown): boolean {
  return (
    command instanceof UpdateServiceCommand ||
    command instanceof RegisterTaskDefinitionCommand ||
    command instanceof StopTaskCommand ||
    command instanceof RunTaskCommand ||
    command instanceof TagResourceCommand
  );
}

/** ECS for the webhook worker's own reads and rollbacks (no deadline of its own), and the diagnosis. */
export function openSdkWorker(aws: AwsConfig): { readonly ecs: SdkEcs; readonly diagnose: RolloutSession['diagnose']; close(): void } {
  const client = createEcsClient(aws);
  return {
    ecs: new SdkEcs(client),
    async diagnose(result, since, onDiagnosis) {
      const { diagnoseResult } = await import('../aws/diagnose.js');
      return diagnoseResult(client, aws, result, since, onDiagnosis);
    },
    close: () => client.destroy(),
  };
}
