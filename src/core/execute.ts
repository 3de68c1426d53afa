import { groupBy, mapConcurrent } from './collections.js';
import { newerRolloutOverwritten } from './execute-race.js';
import { RegistrationInterrupted, registerIdempotently } from './execute-register.js';
import { rollBack } from './execute-rollback.js';
import {
  DEFAULT_RUN_TIMEOUT_MS,
  type ExecuteOptions,
  type ExecutorDeps,
  errorMessage,
  keyOf,
  RESULT_VERSION,
  type RolloutResult,
  type ServiceOutcome,
  type ServiceOutcomeKind,
  SUCCESSFUL_OUTCOMES,
  type Tracked,
} from './execute-shared.js';
import { waitForDeployments } from './execute-wait.js';
import { revisionName, type ServiceSnapshot } from './model.js';
import { type DeploymentPlan, type PlannedService, PUSHED_AT_TAG } from './plan.js';
import { containerPushTag } from './push-order.js';
import { type RunStepOutcome, runStepsBefore, SUCCESSFUL_RUN_OUTCOMES } from './run-step.js';
import { isStaged } from './strategy.js';
import { primaryDeploymentId } from './wait.js';

export {
  DEFAULT_RUN_TIMEOUT_MS,
  type ExecuteOptions,
  type ExecutorDeps,
  RESULT_VERSION,
  type RolloutResult,
  type ServiceOutcome,
  type ServiceOutcomeKind,
} from './execute-shared.js';
export { waitForDeployments } from './execute-wait.js';

/**
 * Carries out a rollout plan: registers the new revisions, points services at them, waits for the
 * deployments those updates created, and on failure puts back what it changed.
 */
export async function executeRollout(plan: DeploymentPlan, deps: ExecutorDeps, options: ExecuteOptions): Promise<RolloutResult> {
  const { ecs, emit } = deps;
  const outcomes = new Map<string, ServiceOutcome>();
  const setOutcome = (planned: PlannedService, outcome: ServiceOutcomeKind, extra: Partial<ServiceOutcome> = {}) => {
    const previous = outcomes.get(keyOf(planned));
    outcomes.set(keyOf(planned), {
      cluster: planned.cluster,
      service: planned.service,
      action: planned.action,
      oldTaskDefinitionArn: planned.taskDefinitionArn,
      ...(previous?.newTaskDefinitionArn === undefined ? {} : { newTaskDefinitionArn: previous.newTaskDefinitionArn }),
      ...(previous?.deploymentId === undefined ? {} : { deploymentId: previous.deploymentId }),
      ...extra,
      outcome,
    });
  };
  let runsBefore: RunStepOutcome[] | undefined;
  const finish = (registrations: RolloutResult['registrations']): RolloutResult => {
    const services = plan.services.map((planned) => outcomes.get(keyOf(planned)) as ServiceOutcome);
    return {
      version: RESULT_VERSION,
      kind: 'rollout-result',
      target: plan.target,
      ok:
        services.every((service) => SUCCESSFUL_OUTCOMES.has(service.outcome)) &&
        (runsBefore ?? []).every((run) => SUCCESSFUL_RUN_OUTCOMES.has(run.outcome)),
      registrations,
      services,
      ...(runsBefore === undefined ? {} : { runsBefore }),
    };
  };

  for (const planned of plan.services) {
    if (planned.action === 'none') setOutcome(planned, 'unchanged', { reason: planned.reason ?? 'already on the target' });
    else if (planned.action === 'skip')
      setOutcome(planned, planned.skipKind === 'older-push' ? 'older-push' : 'skipped', { reason: planned.reason ?? 'skipped' });
    else setOutcome(planned, 'not-started');
  }

  // Register every revision before touching any service, so a refused registration changes nothing.
  const newArns = new Map<string, string>();
  const registered: { family: string; from: string; to: string }[] = [];
  try {
    // Families in parallel, one family's registrations one after another: registerIdempotently can only
    // recognise a registration whose answer was lost while it is still its family's newest revision.
    const families = [...groupBy(plan.registrations, (registration) => registration.family).values()];
    await mapConcurrent(families, options.concurrency, async (family) => {
      for (const registration of family) {
        // Ctrl-C during discovery or registration: register nothing more; no service will be moved to it.
        if (options.signal?.aborted) throw new RegistrationInterrupted();
        const { taskDefinitionArn, reused } = await registerIdempotently(registration, deps, options.signal);
        newArns.set(registration.sourceTaskDefinitionArn, taskDefinitionArn);
        registered.push({ family: registration.family, from: registration.sourceTaskDefinitionArn, to: taskDefinitionArn });
        emit({
          type: 'registered',
          family: registration.family,
          from: registration.sourceTaskDefinitionArn,
          to: taskDefinitionArn,
          changes: registration.changes,
          reused,
        });
        for (const warning of registration.warnings ?? []) emit({ type: 'notice', message: warning });
      }
    });
  } catch (error) {
    const reason =
      error instanceof RegistrationInterrupted
        ? 'interrupted before this service was updated'
        : `registering a new task definition revision failed, so no service was changed: ${errorMessage(error)}`;
    for (const planned of plan.services) {
      if (planned.action === 'update' || planned.action === 'redeploy') setOutcome(planned, 'not-started', { reason });
    }
    return finish(registered);
  }

  // The one-off tasks run from the new revisions before any service moves; if one fails, none moves.
  if (plan.runsBefore !== undefined && plan.runsBefore.length > 0) {
    if (deps.tasks === undefined) throw new Error('the plan has run-before steps but the executor was given no task port');
    const runs = await runStepsBefore(
      plan.runsBefore,
      plan.target.image,
      newArns,
      { tasks: deps.tasks, clock: deps.clock, emit },
      {
        timeoutMs: options.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS,
        pollIntervalMs: options.pollIntervalMs,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
    );
    runsBefore = runs.outcomes;
    if (!runs.ok) {
      const failedRun = runs.outcomes.find((run) => !SUCCESSFUL_RUN_OUTCOMES.has(run.outcome));
      const reason = `not changed: run-before step ${failedRun?.step ?? '?'} (${failedRun?.service ?? '?'}) ${failedRun?.outcome ?? 'did not succeed'}`;
      for (const planned of plan.services) {
        if (planned.action === 'update' || planned.action === 'redeploy') setOutcome(planned, 'not-started', { reason });
      }
      return finish(registered);
    }
  }

  const movable = plan.services.filter((planned) => planned.action === 'update' || planned.action === 'redeploy' || planned.action === 'scale');
  const tracked: Tracked[] = [];
  const changed: PlannedService[] = [];
  await mapConcurrent(movable, options.concurrency, async (planned) => {
    if (options.signal?.aborted) {
      setOutcome(planned, 'not-started', { reason: 'interrupted before this service was updated' });
      return;
    }
    const forced = planned.action === 'redeploy';
    const scaling = planned.action === 'scale';
    const target = forced || scaling ? planned.taskDefinitionArn : newArns.get(planned.registration ?? '');
    if (target === undefined) throw new Error(`plan names registration ${planned.registration} that it does not contain`);
    try {
      const answer = await ecs.updateService({
        cluster: planned.clusterArn,
        service: planned.service,
        // A scale sends no task definition at all, so it cannot undo a rollout running beside it.
        ...(scaling ? { desiredCount: planned.targetDesiredCount ?? planned.desiredCount } : { taskDefinitionArn: target }),
        ...(forced ? { forceNewDeployment: true } : {}),
      });
      if (planned.action === 'update' && plan.pushedAt !== undefined) {
        const newer = await newerRolloutOverwritten(answer, planned.taskDefinitionArn, target, plan.pushedAt, ecs);
        if (newer !== undefined) {
          // Two rollouts raced and this older one landed last: give the service back to the newer one.
          await ecs.updateService({ cluster: planned.clusterArn, service: planned.service, taskDefinitionArn: newer });
          setOutcome(planned, 'superseded', { reason: `a later rollout had already moved it to ${revisionName(newer)}; left there` });
          emit({
            type: 'notice',
            cluster: planned.cluster,
            service: planned.service,
            message: `a later rollout owns this service (${revisionName(newer)}); left to it`,
          });
          return;
        }
      }
      if (forced && plan.pushedAt !== undefined && ecs.tagResource !== undefined) {
        // After the deployment started, never before: a run killed in between deploys again on a retry
        // rather than losing the push. The record makes the same push, delivered again, a no-op.
        const pushedAt = plan.pushedAt;
        await ecs.tagResource(target, [
          { key: PUSHED_AT_TAG, value: String(pushedAt) },
          ...planned.changes.map((change) => containerPushTag(change.container, plan.target.repository, pushedAt)),
        ]);
      }
      const deploymentId = primaryDeploymentId(answer);
      if (planned.action === 'update') changed.push(planned);
      setOutcome(planned, 'updated', { newTaskDefinitionArn: target, ...(deploymentId === undefined ? {} : { deploymentId }) });
      emit({
        type: 'service-updated',
        cluster: planned.cluster,
        service: planned.service,
        from: planned.taskDefinitionArn,
        to: target,
        forced,
        ...(scaling ? { desiredCount: { from: planned.desiredCount, to: planned.targetDesiredCount ?? planned.desiredCount } } : {}),
        ...(deploymentId === undefined ? {} : { deploymentId }),
      });
      if (deploymentId === undefined) {
        setOutcome(planned, 'failed', { reason: 'UpdateService answered without a PRIMARY deployment to follow' });
      } else {
        tracked.push({
          cluster: planned.clusterArn,
          service: planned.service,
          deploymentId,
          targetTaskDefinitionArn: target,
          sourceTaskDefinitionArn: planned.taskDefinitionArn,
          replaceTasks: plan.strategy === 'replace' && planned.schedulingStrategy === 'REPLICA' && !scaling,
          ...(isStaged(planned.deploymentStrategy) ? { staged: true } : {}),
          ...(scaling ? { settleCount: true } : {}),
          updatedAt: deps.clock.now(),
        });
      }
    } catch (error) {
      setOutcome(planned, 'failed', { reason: `UpdateService failed: ${errorMessage(error)}` });
    }
  });

  followUnfinished(plan, tracked, setOutcome, options);

  let snapshots = new Map<string, ServiceSnapshot>();
  // A service ECS rolled back itself (staged strategies) failed too, but is already back: only the others return.
  const rolledBackByEcs = new Set<string>();
  if (options.wait && tracked.length > 0) {
    const report = await waitForDeployments(tracked, 'rollout', deps, {
      ...options,
      ...(plan.pushedAt === undefined ? {} : { pushedAt: plan.pushedAt }),
    });
    snapshots = report.snapshots;
    for (const planned of [...movable, ...plan.services.filter((service) => service.action === 'wait')]) {
      const end = report.ends.get(keyOf({ cluster: planned.clusterArn, service: planned.service }));
      if (end === undefined) continue;
      if (end.state === 'completed') setOutcome(planned, 'completed');
      else setOutcome(planned, end.state, { reason: end.reason });
      if (end.state === 'rolled-back') rolledBackByEcs.add(keyOf({ cluster: planned.clusterArn, service: planned.service }));
    }
  }

  const failed =
    rolledBackByEcs.size > 0 || [...outcomes.values()].some((outcome) => outcome.outcome === 'failed' || outcome.outcome === 'timed-out');
  if (failed && options.rollback && !options.signal?.aborted && changed.length > 0) {
    const toRevert = changed.filter((planned) => !rolledBackByEcs.has(keyOf({ cluster: planned.clusterArn, service: planned.service })));
    if (toRevert.length > 0) {
      await rollBack(plan.strategy, toRevert, snapshots, deps, options, setOutcome, (planned) => outcomes.get(keyOf(planned)));
    }
  }
  return finish(registered);
}

/**
 * Services a re-run found on the target with an unfinished deployment: this run changes nothing on them,
 * but waits for that deployment with the same rules, and fails with it. They are never rolled back:
 * this run did not move them.
 */
function followUnfinished(
  plan: DeploymentPlan,
  tracked: Tracked[],
  setOutcome: (planned: PlannedService, outcome: ServiceOutcomeKind, extra?: Partial<ServiceOutcome>) => void,
  options: ExecuteOptions,
): void {
  for (const planned of plan.services) {
    if (planned.action !== 'wait' || planned.deployment === undefined) continue;
    const extra = { newTaskDefinitionArn: planned.taskDefinitionArn, deploymentId: planned.deployment.id };
    if (planned.deployment.taskDefinitionArn !== planned.taskDefinitionArn) {
      setOutcome(planned, 'failed', {
        ...extra,
        reason: `its task definition is ${revisionName(planned.taskDefinitionArn)}, but its deployment runs ${revisionName(planned.deployment.taskDefinitionArn)}; run with --force to deploy it again`,
      });
    } else if (!options.wait || options.signal?.aborted) {
      setOutcome(planned, 'unchanged', { ...extra, reason: `its deployment ${planned.deployment.id} has not finished; not waited for (--no-wait)` });
    } else {
      setOutcome(planned, 'updated', extra);
      tracked.push({
        cluster: planned.clusterArn,
        service: planned.service,
        deploymentId: planned.deployment.id,
        targetTaskDefinitionArn: planned.taskDefinitionArn,
        sourceTaskDefinitionArn: planned.taskDefinitionArn,
        replaceTasks: false,
      });
    }
  }
}
