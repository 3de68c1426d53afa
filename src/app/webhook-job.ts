import { parseTargetImage } from '../core/image-ref.js';
import { registryOptionsFrom } from '../core/registry-options.js';
import type { RolloutResult } from '../core/execute.js';
import type { WebhookConfig } from '../webhook/config.js';
import { logEvent, type LogLine } from '../webhook/log.js';
import type { RolloutJob } from '../webhook/receiver.js';
import { runRollout, type RolloutPorts, type RolloutRequest } from './rollout.js';

/**
 * What every push-started rollout asks, however it is then waited for: the install's scope and policy, the
 * push's time for ordering, and the tag checked against its registry as the CLI does (ECS_ROLL_VERIFY,
 * ECS_ROLL_PIN_DIGEST, …), since nothing in a webhook's body is trusted to say what was pushed.
 */
export function pushRolloutRequest(
  job: Pick<RolloutJob, 'image' | 'pushedAt'>,
  config: WebhookConfig,
  env: NodeJS.ProcessEnv,
): Pick<
  RolloutRequest,
  'target' | 'clusters' | 'services' | 'allFamilies' | 'strategy' | 'force' | 'policy' | 'pushedAt' | 'registry' | 'respectPushOrder' | 'dryRun'
> {
  return {
    target: parseTargetImage(job.image),
    clusters: config.clusters,
    services: [],
    allFamilies: false,
    strategy: config.strategy,
    force: false,
    policy: config.policy,
    pushedAt: job.pushedAt,
    registry: registryOptionsFrom({}, env),
    respectPushOrder: true,
    dryRun: false,
  };
}

/**
 * Runs one webhook's rollout, as `ecs-roll rollout <image>` would with the install's settings.
 * Safe to run twice for the same job: the second run finds the services on the tag and changes nothing,
 * and a job older than the push that last changed a service leaves it alone.
 */
export async function runJob(
  job: Pick<RolloutJob, 'image' | 'pushedAt'>,
  config: WebhookConfig,
  ports: Omit<RolloutPorts, 'emit'>,
  log: LogLine,
  options: { timeoutSeconds?: number; signal?: AbortSignal; env?: NodeJS.ProcessEnv } = {},
): Promise<RolloutResult | undefined> {
  const context = { job: job.image, pushedAt: job.pushedAt };
  log({ ...context, event: 'job-started' });
  const { result } = await runRollout(
    {
      ...pushRolloutRequest(job, config, options.env ?? process.env),
      wait: true,
      timeoutMs: (options.timeoutSeconds ?? config.timeoutSeconds) * 1000,
      pollIntervalMs: config.pollIntervalSeconds * 1000,
      rollback: true,
      // One configuration serves every repository's pushes: a step whose service this image does not run is left out.
      ...(config.runBefore === undefined || config.runBefore.length === 0 ? {} : { runBefore: config.runBefore, runBeforeIgnoresOtherImages: true }),
      // The run shares the worker's time budget with the deployments' wait.
      runTimeoutMs: (options.timeoutSeconds ?? config.timeoutSeconds) * 1000,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    },
    { ...ports, emit: (event) => logEvent(log, event, context) },
  );
  log({
    ...context,
    event: 'job-finished',
    ok: result?.ok ?? true,
    // The reason says why a service failed (an AccessDenied, say): the log is all a webhook user sees.
    services:
      result?.services.map((service) => ({
        cluster: service.cluster,
        service: service.service,
        outcome: service.outcome,
        // Anything but a plain success says why, so a skipped push is never a silent success in the log.
        ...(service.reason === undefined ? {} : { reason: service.reason }),
        ...(service.diagnosis === undefined ? {} : { cause: service.diagnosis.cause }),
      })) ?? [],
  });
  return result;
}
