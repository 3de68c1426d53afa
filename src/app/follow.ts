/**
 * One look at a followed rollout: wait for its deployments within this invocation's budget, then
 * send the next "check again" message, roll back, or report the end. Safe to run twice for one
 * message: a look changes nothing but the rollback, which checks where each service stands first.
 */
import type { RolloutResult, ServiceOutcome } from '../core/execute.js';
import { waitForDeployments } from '../core/execute.js';
import { decideAfterLook, followDeadline, followKey, lookBudgetMs, type FollowedService, type FollowJob, type LookEnd } from '../core/follow.js';
import { DEFAULT_CONCURRENCY } from '../core/limits.js';
import { revisionName } from '../core/model.js';
import type { Clock, EcsPort } from '../core/ports.js';
import { primaryDeploymentId } from '../core/wait.js';
import type { WebhookConfig } from '../webhook/config.js';
import { logEvent, type LogLine } from '../webhook/log.js';
import { ROLLED_BACK_TAG, type SendFollow } from './push.js';
import type { RolloutSession } from './rollout.js';

/** ECS to look and roll back with, the clock, and the diagnosis of the services that failed. */
export interface FollowPorts {
  readonly ecs: EcsPort & Required<Pick<EcsPort, 'tagResource'>>;
  readonly clock: Clock;
  readonly diagnose: RolloutSession['diagnose'];
}

export async function followStep(
  job: FollowJob,
  config: WebhookConfig,
  ports: FollowPorts,
  log: LogLine,
  sendFollow: SendFollow,
  remainingMs: number | undefined,
): Promise<void> {
  const context = { job: job.image, pushedAt: job.pushedAt, phase: job.phase, attempt: job.attempt };
  const pending = job.services.filter((service) => service.state === 'pending');
  log({ ...context, event: 'follow-look', pending: pending.length, deadline: new Date(job.deadline).toISOString() });
  const { ecs, clock } = ports;
  // A look that runs out of its budget is not a failure: its "timed out" end is not logged as one.
  const deps = {
    ecs,
    clock,
    emit: (event: Parameters<typeof logEvent>[1]) => {
      if (event.type === 'service-failed' && /^the deployment did not finish within/.test(event.reason)) return;
      logEvent(log, event, context);
    },
  };
  const budget = lookBudgetMs(remainingMs, job.deadline, clock.now());
  const report = await waitForDeployments(
    pending.map((service) => ({
      cluster: service.clusterArn,
      service: service.service,
      deploymentId: service.deploymentId,
      targetTaskDefinitionArn: service.target,
      sourceTaskDefinitionArn: service.previous,
      replaceTasks: config.strategy === 'replace',
    })),
    job.phase,
    deps,
    {
      timeoutMs: budget,
      pollIntervalMs: Math.min(config.pollIntervalSeconds * 1000, budget),
      concurrency: DEFAULT_CONCURRENCY,
      ...(job.phase === 'rollout' ? { pushedAt: job.pushedAt } : {}),
    },
  );
  const ends = new Map<string, LookEnd>();
  for (const service of pending) {
    const end = report.ends.get(`${service.clusterArn}\u0000${service.service}`);
    if (end === undefined || end.state === 'timed-out' || end.state === 'interrupted') ends.set(followKey(service), { state: 'waiting' });
    else if (end.state === 'completed') ends.set(followKey(service), { state: 'completed' });
    // ECS rolled a staged deployment back itself: a failure, whose rollback finds the service already back.
    else ends.set(followKey(service), { state: end.state === 'superseded' ? 'superseded' : 'failed', reason: end.reason });
  }

  const decision = decideAfterLook(job, ends, clock.now());
  if (decision.kind === 'again') {
    // Reaching this invocation's budget is not a failure: the next message looks again.
    await sendFollow(decision.job);
    log({ ...context, event: 'follow-waiting', pending: decision.job.services.filter((service) => service.state === 'pending').length });
    return;
  }
  if (decision.kind === 'finished') {
    finish(log, context, decision.job, decision.ok);
    return;
  }

  // The rollout failed: say why, then put back every service it moved.
  const failed = decision.job.services.filter((service) => service.state === 'failed');
  const diagnosed = await diagnose(ports.diagnose, failed, job.startedAt, log, context);
  log({ ...context, level: 'error', event: 'rollout-failed', reason: decision.reason, services: diagnosed });
  const back: FollowedService[] = [];
  for (const service of decision.job.services) {
    if (!decision.services.includes(service)) {
      back.push(service);
      continue;
    }
    back.push(await rollBackOne(ecs, service, job.pushedAt));
  }
  const rollback: FollowJob = {
    ...decision.job,
    phase: 'rollback',
    attempt: 1,
    deadline: followDeadline(clock.now(), config.timeoutSeconds),
    services: back,
  };
  if (back.some((service) => service.state === 'pending')) {
    await sendFollow(rollback);
    log({ ...context, event: 'rollback-following', services: back.filter((service) => service.state === 'pending').length });
  } else {
    finish(log, context, rollback, false);
  }
}

/** Puts one service back on the revision it ran before; marks the failed revision so the push is not applied again. */
async function rollBackOne(ecs: FollowPorts['ecs'], service: FollowedService, pushedAt: number): Promise<FollowedService> {
  const why = service.reason ?? 'another service in this rollout failed';
  if (service.target === service.previous) {
    return { ...service, state: 'rollback-failed', reason: `${why}; a redeployment of the same revision has no earlier revision to go back to` };
  }
  try {
    await ecs.tagResource(service.target, [{ key: ROLLED_BACK_TAG, value: String(pushedAt) }]);
  } catch {
    // Best effort: without the mark a later retry of this push is refused by its push time alone.
  }
  const [now] = await ecs.describeServices(service.clusterArn, [service.service]);
  if (now === undefined) return { ...service, state: 'rollback-failed', reason: `${why}; the service no longer exists` };
  if (now.taskDefinitionArn === service.previous) {
    return { ...service, state: 'rolled-back', reason: `${why}; ECS already put it back on ${revisionName(service.previous)}` };
  }
  if (now.taskDefinitionArn !== service.target) {
    return {
      ...service,
      state: 'rollback-failed',
      reason: `${why}; not rolled back because it has since moved to ${revisionName(now.taskDefinitionArn)}`,
    };
  }
  const answer = await ecs.updateService({ cluster: service.clusterArn, service: service.service, taskDefinitionArn: service.previous });
  const deploymentId = primaryDeploymentId(answer);
  const reason = `${why}; rolled back to ${revisionName(service.previous)}`;
  if (deploymentId === undefined) return { ...service, state: 'rolled-back', reason };
  return { ...service, deploymentId, target: service.previous, previous: service.target, state: 'pending', reason };
}

async function diagnose(
  diagnoseResult: FollowPorts['diagnose'],
  failed: readonly FollowedService[],
  since: number,
  log: LogLine,
  context: Readonly<Record<string, unknown>>,
): Promise<{ cluster: string; service: string; reason?: string; cause?: string }[]> {
  const outcomes: ServiceOutcome[] = failed.map((service) => ({
    cluster: service.cluster,
    service: service.service,
    action: 'update',
    oldTaskDefinitionArn: service.previous,
    newTaskDefinitionArn: service.target,
    deploymentId: service.deploymentId,
    outcome: 'failed',
    ...(service.reason === undefined ? {} : { reason: service.reason }),
  }));
  try {
    const failedRun: RolloutResult = {
      version: 2,
      kind: 'rollout-result',
      target: { image: '', repository: '' },
      ok: false,
      registrations: [],
      services: outcomes,
    };
    const result = await diagnoseResult(failedRun, since, (service, diagnosis) =>
      log({ ...context, event: 'diagnosis', cluster: service.cluster, service: service.service, diagnosis }),
    );
    return result.services.map((service) => ({
      cluster: service.cluster,
      service: service.service,
      ...(service.reason === undefined ? {} : { reason: service.reason }),
      ...(service.diagnosis === undefined ? {} : { cause: service.diagnosis.cause }),
    }));
  } catch (error) {
    log({ ...context, level: 'warn', event: 'diagnosis-failed', message: error instanceof Error ? error.message : String(error) });
    return failed.map((service) => ({
      cluster: service.cluster,
      service: service.service,
      ...(service.reason === undefined ? {} : { reason: service.reason }),
    }));
  }
}

const OUTCOME: Readonly<Record<FollowedService['state'], string>> = {
  pending: 'timed-out',
  completed: 'completed',
  failed: 'failed',
  superseded: 'superseded',
  'rolled-back': 'rolled-back',
  'rollback-failed': 'rollback-failed',
};

function finish(log: LogLine, context: Readonly<Record<string, unknown>>, job: FollowJob, ok: boolean): void {
  log({
    ...context,
    event: 'job-finished',
    ok,
    // The look count says how many invocations followed the rollout.
    looks: job.attempt - 1,
    services: job.services.map((service) => ({
      cluster: service.cluster,
      service: service.service,
      outcome: OUTCOME[service.state],
      ...(service.reason === undefined ? {} : { reason: service.reason }),
    })),
  });
}
