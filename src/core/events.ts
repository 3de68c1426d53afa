import type { Diagnosis } from './diagnosis.js';
import type { ContainerChange, DeploymentPlan } from './plan.js';
import type { RunStepOutcome } from './run-step.js';
import type { DeploymentProgress } from './wait.js';

/**
 * What the executor reports while it works. Renderers (spinner, plain lines, JSON lines in Lambda)
 * turn these into output; the executor itself never prints.
 */
export type RolloutEvent =
  | { readonly type: 'plan'; readonly plan: DeploymentPlan }
  | {
      readonly type: 'registered';
      readonly family: string;
      readonly from: string;
      readonly to: string;
      readonly changes: readonly ContainerChange[];
      /** An identical revision already existed (an earlier, interrupted run registered it) and was reused. */
      readonly reused: boolean;
    }
  | {
      readonly type: 'service-updated';
      readonly cluster: string;
      readonly service: string;
      readonly from: string;
      readonly to: string;
      readonly deploymentId?: string;
      readonly forced: boolean;
      /** Set when only the desired count changed (`scale`). */
      readonly desiredCount?: { readonly from: number; readonly to: number };
    }
  | { readonly type: 'wait-started'; readonly services: number; readonly timeoutSeconds: number; readonly phase: Phase }
  | {
      readonly type: 'progress';
      readonly cluster: string;
      readonly service: string;
      readonly phase: Phase;
      readonly progress: DeploymentProgress;
    }
  | {
      readonly type: 'tasks-stopped';
      readonly cluster: string;
      readonly service: string;
      readonly taskArns: readonly string[];
      readonly remainingOld: number;
    }
  | { readonly type: 'service-completed'; readonly cluster: string; readonly service: string; readonly phase: Phase }
  | {
      readonly type: 'service-failed';
      readonly cluster: string;
      readonly service: string;
      readonly phase: Phase;
      readonly reason: string;
    }
  | { readonly type: 'rollback-started'; readonly services: number }
  | {
      readonly type: 'run-started';
      readonly step: number;
      readonly cluster: string;
      readonly service: string;
      readonly container: string;
      readonly taskArn: string;
      readonly taskDefinitionArn: string;
      /** The task an earlier, interrupted run of the same rollout started; waited for, not started again. */
      readonly adopted: boolean;
    }
  | { readonly type: 'run-finished'; readonly outcome: RunStepOutcome }
  /** Why a service did not finish, read after the run (src/core/diagnosis.ts). */
  | { readonly type: 'diagnosis'; readonly cluster: string; readonly service: string; readonly diagnosis: Diagnosis }
  | { readonly type: 'notice'; readonly cluster?: string; readonly service?: string; readonly message: string };

export type Phase = 'rollout' | 'rollback';

export type EmitEvent = (event: RolloutEvent) => void;
