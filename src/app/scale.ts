import { UsageError } from '../core/errors.js';
import type { EmitEvent } from '../core/events.js';
import { executeRollout, type ExecuteOptions, type RolloutResult } from '../core/execute.js';
import { DEFAULT_CONCURRENCY } from '../core/limits.js';
import type { ServiceSnapshot } from '../core/model.js';
import { planScale } from '../core/plan-scale.js';
import type { Clock, EcsPort, EcsReader } from '../core/ports.js';
import { applyAdjustment, type Adjustment, type Bounds, type ScaleDecision } from '../core/scale.js';
import type { ScalableTarget } from '../aws/auto-scaling.js';
import { findService } from '../aws/service-lookup.js';

/** Version of the `scale-result` document. */
export const SCALE_RESULT_VERSION = 1;

/** What `scale` is asked: one service, how its count changes, within which bounds, and how it is waited for. */
export type ScaleRequest = Bounds &
  Pick<ExecuteOptions, 'wait' | 'timeoutMs' | 'pollIntervalMs' | 'signal'> & {
    readonly service: string;
    readonly cluster?: string;
    readonly adjustment: Adjustment;
    /** Move Application Auto Scaling's bounds to include the new count. */
    readonly updateAutoscaling: boolean;
    readonly dryRun: boolean;
  };

/** Application Auto Scaling's view of the service's desired count. */
export interface AutoScalingPort {
  scalableTarget(service: ServiceSnapshot): Promise<ScalableTarget | undefined>;
  setBounds(target: ScalableTarget, minCapacity: number, maxCapacity: number): Promise<void>;
}

/** Where Application Auto Scaling keeps the service, and whether this run moved its bounds. */
export interface AutoScalingNote {
  readonly resourceId: string;
  readonly min: number;
  readonly max: number;
  /** The new count is outside min..max: Application Auto Scaling would undo it. */
  readonly outside: boolean;
  readonly updatedTo: { readonly min: number; readonly max: number } | null;
}

export interface ScaleDocument {
  readonly kind: 'scale-result';
  readonly version: typeof SCALE_RESULT_VERSION;
  readonly cluster: string;
  readonly service: string;
  readonly from: number;
  readonly to: number;
  readonly clamped: 'min' | 'max' | 'zero' | null;
  readonly autoscaling: AutoScalingNote | null;
  readonly outcome: string;
  readonly reason?: string;
}

/** What `scale` tells as it goes; the CLI shows it as text or as one JSON document. */
export interface ScaleReporter {
  /** Before the bounds move (or with the warning that they would undo the count). */
  autoscaling(label: string, note: AutoScalingNote, to: number): void;
  decision(label: string, decision: ScaleDecision): void;
  readonly event: EmitEvent;
  /** The end: the document, and the executor's result unless it was a dry run. */
  finished(document: ScaleDocument, result: RolloutResult | undefined): void;
}

export interface ScalePorts {
  readonly ecs: EcsPort & EcsReader;
  readonly autoscaling: AutoScalingPort;
  readonly clock: Clock;
  readonly report: ScaleReporter;
}

/** `scale`: a deployment plan with the task definition pinned and only the count changed. Returns the result (none for a dry run). */
export async function runScale(request: ScaleRequest, ports: ScalePorts): Promise<RolloutResult | undefined> {
  const { ecs, autoscaling, report } = ports;
  const service = await findService(ecs, request.service, request.cluster);
  if (service.schedulingStrategy === 'DAEMON') {
    throw new UsageError(
      `${service.clusterName}/${service.serviceName} is a DAEMON service: it runs one task per instance and has no desired count to set`,
    );
  }
  const decision = applyAdjustment(service.desiredCount, request.adjustment, {
    ...(request.min === undefined ? {} : { min: request.min }),
    ...(request.max === undefined ? {} : { max: request.max }),
  });
  const label = `${service.clusterName}/${service.serviceName}`;
  const target = await autoscaling.scalableTarget(service);
  let note: AutoScalingNote | undefined;
  if (target !== undefined && (decision.to < target.minCapacity || decision.to > target.maxCapacity)) {
    const bounds = { min: Math.min(target.minCapacity, decision.to), max: Math.max(target.maxCapacity, decision.to) };
    note = {
      resourceId: target.resourceId,
      min: target.minCapacity,
      max: target.maxCapacity,
      outside: true,
      updatedTo: request.updateAutoscaling ? bounds : null,
    };
    report.autoscaling(label, note, decision.to);
    if (request.updateAutoscaling && !request.dryRun) await autoscaling.setBounds(target, bounds.min, bounds.max);
  } else if (target !== undefined) {
    note = { resourceId: target.resourceId, min: target.minCapacity, max: target.maxCapacity, outside: false, updatedTo: null };
  }

  const plan = planScale(service, decision.to);
  report.decision(label, decision);
  const document = (outcome: string, reason: string | undefined): ScaleDocument => ({
    kind: 'scale-result',
    version: SCALE_RESULT_VERSION,
    cluster: service.clusterName,
    service: service.serviceName,
    from: decision.from,
    to: decision.to,
    clamped: decision.clamped ?? (decision.floored ? 'zero' : null),
    autoscaling: note ?? null,
    outcome,
    ...(reason === undefined ? {} : { reason }),
  });
  if (request.dryRun) {
    report.finished(document('planned', undefined), undefined);
    return undefined;
  }
  const result = await executeRollout(
    plan,
    { ecs, clock: ports.clock, emit: report.event },
    {
      wait: request.wait,
      timeoutMs: request.timeoutMs,
      pollIntervalMs: request.pollIntervalMs,
      rollback: false,
      concurrency: DEFAULT_CONCURRENCY,
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    },
  );
  const outcome = result.services[0];
  report.finished(document(outcome?.outcome ?? 'unchanged', outcome?.reason), result);
  return result;
}
