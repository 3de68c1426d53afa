import type { RolloutResult, ServiceOutcome } from './execute-shared.js';
import { SUCCESSFUL_OUTCOMES } from './execute-shared.js';
import type { NotificationSource, NotifiedService, OutcomeNotice } from './notification.js';
import type { DeploymentPlan } from './plan.js';

/** The outcomes of a rollout the executor carried out in one run (the CLI, `serve`): what its notifications say. */

const CHANGING_ACTIONS: ReadonlySet<string> = new Set(['update', 'redeploy']);

/** "started", once the plan is known and only when it changes something; a plan that changes nothing starts nothing. */
export function startedNotice(plan: DeploymentPlan, source: NotificationSource): OutcomeNotice | undefined {
  const moving = plan.services.filter((service) => CHANGING_ACTIONS.has(service.action));
  if (moving.length === 0 && plan.registrations.length === 0) return undefined;
  return {
    operation: 'rollout',
    outcome: 'started',
    source,
    image: plan.target.image,
    ...(plan.pushedAt === undefined ? {} : { pushedAt: plan.pushedAt }),
    services: moving.map((service) => ({ cluster: service.cluster, service: service.service })),
  };
}

function notified(service: ServiceOutcome): NotifiedService {
  return {
    cluster: service.cluster,
    service: service.service,
    outcome: service.outcome,
    ...(service.reason === undefined ? {} : { reason: service.reason }),
    ...(service.diagnosis === undefined ? {} : { cause: service.diagnosis.cause, summary: service.diagnosis.summary }),
  };
}

const CHANGED_OUTCOMES: ReadonlySet<string> = new Set(['completed', 'updated']);

/**
 * How the run ended: "completed", or "failed" (with each failed service's reason and diagnosis) followed
 * by "rolled-back" when the rollback put services back.
 */
export function finishedNotices(
  result: RolloutResult,
  context: { readonly source: NotificationSource; readonly image: string; readonly pushedAt?: number },
): OutcomeNotice[] {
  const base = {
    operation: 'rollout' as const,
    source: context.source,
    image: context.image,
    ...(context.pushedAt === undefined ? {} : { pushedAt: context.pushedAt }),
  };
  if (result.ok) {
    const changed = result.services.filter((service) => CHANGED_OUTCOMES.has(service.outcome)).map(notified);
    return [{ ...base, outcome: 'completed', services: changed }];
  }
  const failedRun = result.runsBefore?.find((run) => run.outcome !== 'succeeded' && run.outcome !== 'already-succeeded');
  const failed = result.services.filter((service) => !SUCCESSFUL_OUTCOMES.has(service.outcome) && service.outcome !== 'not-started');
  const notices: OutcomeNotice[] = [
    {
      ...base,
      outcome: 'failed',
      ...(failedRun === undefined
        ? {}
        : {
            reason: `the run-before task in ${failedRun.cluster}/${failedRun.service} ${failedRun.outcome}${failedRun.reason === undefined ? '' : `: ${failedRun.reason}`}`,
          }),
      services: failed.map(notified),
    },
  ];
  const back = result.services.filter((service) => service.outcome === 'rolled-back');
  if (back.length > 0) notices.push({ ...base, outcome: 'rolled-back', services: back.map(notified) });
  return notices;
}

/** A run that ended in an error before any result (a refused expectation, a registry that has no such tag). */
export function errorNotice(
  message: string,
  context: { readonly source: NotificationSource; readonly image: string; readonly pushedAt?: number },
): OutcomeNotice {
  return {
    operation: 'rollout',
    outcome: 'failed',
    source: context.source,
    image: context.image,
    ...(context.pushedAt === undefined ? {} : { pushedAt: context.pushedAt }),
    reason: message,
    services: [],
  };
}
