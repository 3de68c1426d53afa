/**
 * What install learns from ECS: the task and execution roles the worker must be allowed to pass,
 * the account, and what `--run-before` tasks would touch. Read-only.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { accountOfArn, isShortServiceArn } from '../core/arn.js';
import { parseImageReference } from '../core/image-ref.js';
import type { TaskDefinitionSnapshot } from '../core/model.js';
import { runBeforeScope, type RunBeforeScope } from '../core/run-before-policy.js';
import { clientConfig, type AwsConfig } from './config.js';
import { discoverRolloutState, SdkEcs } from './ecs.js';

export interface EcsFindings {
  readonly passRoleArns: string[];
  /** Services running the repositories that still have a pre-2021 short ARN (core/arn.ts isShortServiceArn). */
  readonly shortArnServices: string[];
  readonly account?: string;
  readonly runBefore: RunBeforeScope;
}

/**
 * The task and execution roles that the task definitions running the repositories name: a
 * rollout registers copies of those definitions, which passes those roles to ECS.
 */
export async function discoverPassRoles(aws: AwsConfig, repositories: readonly string[], clusters: readonly string[]): Promise<EcsFindings> {
  const client = new ECSClient(clientConfig(aws));
  const state = await discoverRolloutState(new SdkEcs(client), {
    ...(clusters.length === 0 ? {} : { clusters }),
    allFamilies: false,
    concurrency: 4,
  }).finally(() => client.destroy());
  const wanted = new Set(repositories);
  const arns = new Set<string>();
  const running: TaskDefinitionSnapshot[] = [];
  let account: string | undefined;
  for (const service of state.services) account ??= accountOfArn(service.serviceArn);
  for (const definition of Object.values(state.taskDefinitions)) {
    account ??= accountOfArn(definition.arn);
    const containers = (definition.definition['containerDefinitions'] ?? []) as { image?: string }[];
    const runsRepository = containers.some((container) => {
      if (container.image === undefined) return false;
      try {
        return wanted.has(parseImageReference(container.image).repository);
      } catch {
        return false;
      }
    });
    if (!runsRepository) continue;
    running.push(definition);
    for (const key of ['taskRoleArn', 'executionRoleArn']) {
      const value = definition.definition[key];
      if (typeof value === 'string' && value !== '') arns.add(value);
    }
  }
  const runningArns = new Set(running.map((definition) => definition.arn));
  const shortArnServices = state.services
    .filter((service) => isShortServiceArn(service.serviceArn) && runningArns.has(service.taskDefinitionArn))
    .map((service) => service.serviceArn);
  return {
    passRoleArns: [...arns],
    shortArnServices: [...new Set(shortArnServices)],
    ...(account === undefined ? {} : { account }),
    runBefore: runBeforeScope(running),
  };
}

// ---------------------------------------------------------------------------------------------
