import type { ServiceOutcomeKind } from '../core/execute.js';

/** What the action reads of a failed service's diagnosis, when rollout attached one. */
export interface DiagnosisView {
  readonly cause?: string;
  readonly summary?: string;
  readonly hint?: string;
}

/** One service as `rollout --json` reports it (result or dry-run plan); later fields are passed through untouched. */
export interface ServiceView {
  readonly cluster: string;
  readonly service: string;
  readonly action?: string;
  readonly outcome: ServiceOutcomeKind | 'planned';
  readonly reason?: string;
  readonly oldTaskDefinitionArn?: string;
  readonly newTaskDefinitionArn?: string | null;
  readonly diagnosis?: DiagnosisView;
}

/** The JSON document `rollout --json` prints: a `rollout-result`, or a `rollout-plan` for a dry run. */
export interface RolloutDocument {
  readonly kind: 'rollout-result' | 'rollout-plan';
  readonly ok?: boolean;
  readonly dryRun?: boolean;
  readonly target: { readonly image: string };
  readonly registrations?: readonly { readonly family: string; readonly from: string; readonly to: string }[];
  readonly services: readonly ServiceView[];
}

/** The `outcome` output: one word a workflow can branch on. */
export type ActionOutcome = 'deployed' | 'unchanged' | 'failed' | 'rolled-back';

/** Services now on the new revision: what `services-changed` counts. */
const MOVED: ReadonlySet<string> = new Set(['completed', 'updated']);
/** Outcomes that leave a service as it was before the run, with nothing to report. */
const UNTOUCHED: ReadonlySet<string> = new Set(['unchanged', 'skipped', 'not-started']);

export function actionOutcome(document: RolloutDocument): ActionOutcome {
  if (document.kind === 'rollout-plan') return 'unchanged';
  if (document.ok === true) return document.services.some((service) => MOVED.has(service.outcome)) ? 'deployed' : 'unchanged';
  // Failed: "rolled-back" only when every service the run touched is back where it was.
  const touched = document.services.filter((service) => !UNTOUCHED.has(service.outcome));
  return touched.length > 0 && touched.every((service) => service.outcome === 'rolled-back') ? 'rolled-back' : 'failed';
}

export function servicesChanged(document: RolloutDocument): number {
  if (document.kind === 'rollout-plan') return 0;
  return document.services.filter((service) => MOVED.has(service.outcome)).length;
}

/** The revisions the run registered (or reused), whether or not a failure later moved services off them. */
export function taskDefinitionArns(document: RolloutDocument): string[] {
  return (document.registrations ?? []).map((registration) => registration.to);
}

/** Services the rollout reports as not done: every one of them gets an error annotation. */
export function failedServices(document: RolloutDocument): ServiceView[] {
  if (document.kind === 'rollout-plan') return [];
  return document.services.filter((service) => !MOVED.has(service.outcome) && !UNTOUCHED.has(service.outcome));
}

/** "cluster/service: cause: summary", from the diagnosis when there is one, else from the outcome's reason. */
export function failureMessage(service: ServiceView): string {
  const name = `${service.cluster}/${service.service}`;
  const diagnosis = service.diagnosis;
  if (diagnosis?.summary !== undefined && diagnosis.summary !== '') {
    const hint = diagnosis.hint === undefined || diagnosis.hint === '' ? '' : ` (${diagnosis.hint})`;
    return `${name} ${service.outcome}: ${diagnosis.cause ?? 'unknown'}: ${diagnosis.summary}${hint}`;
  }
  return `${name} ${service.outcome}: ${service.reason ?? 'no reason given'}`;
}
