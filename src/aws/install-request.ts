/** What `install` is asked (the request) and what it answers (the report). */
import type { InstallSource } from '../core/ecr-trigger.js';
import type { NotifyTarget } from '../core/notify-target.js';
import type { PolicyDocument } from '../core/install-iam.js';
import type { PolicyMove } from './install-scale-policies.js';
import type { FunctionRole } from '../core/install-names.js';
import type { RetryClock } from '../core/install-retry.js';
import type { InstallAction } from '../core/install-types.js';
import type { Strategy } from '../core/plan.js';
import type { UpdatePolicy } from '../core/update-policy.js';
import type { RunBeforeSpec } from '../core/run-before.js';
import type { AwsConfig } from './config.js';
import type { InstallProgress } from './install-apply/context.js';
import type { SettingChange } from './install-settings.js';

export type { InstallProgress };

export interface InstallRequest {
  readonly aws: AwsConfig;
  readonly name: string;
  readonly stage: string;
  /**
   * The settings given on this run (repositories normalised, `docker.io/acme/web`). Those left out keep
   * what the existing install has, or the defaults on a first install.
   */
  readonly repositories?: readonly string[];
  readonly clusters?: readonly string[];
  readonly policy?: UpdatePolicy;
  readonly strategy?: Strategy;
  readonly timeoutSeconds?: number;
  /** The worker writes `repo:tag@sha256:…` (ECS_ROLL_PIN_DIGEST); left out keeps what the install has. */
  readonly pinDigest?: boolean;
  /** False: the worker does not ask the registry first (ECS_ROLL_VERIFY=false); left out keeps what the install has. */
  readonly verify?: boolean;
  readonly rotateToken: boolean;
  /** `--run-before`: one-off tasks the worker runs before the services of every push move. */
  readonly runBefore?: readonly RunBeforeSpec[];
  /** `--source`: Docker Hub webhooks (the REST API) and/or ECR pushes (an EventBridge rule); left out keeps what the install has. */
  readonly sources?: readonly InstallSource[];
  /** `--notify`: SNS topics and URLs the worker sends each outcome to; left out keeps what the install has, [] removes them. */
  readonly notify?: readonly NotifyTarget[];
  readonly dryRun: boolean;
  readonly signal: AbortSignal;
  readonly progress: InstallProgress;
  readonly clock?: RetryClock;
}

export interface InstallReport {
  readonly name: string;
  readonly dryRun: boolean;
  readonly region: string;
  readonly account: string;
  readonly role: { readonly name: string; readonly arn: string };
  /** The receiver's own role: it may only hand pushes to the pushes queue and write its logs. */
  readonly receiverRole: { readonly name: string; readonly arn: string };
  /** All the worker's permissions: its inline policy `name`, and the managed policies below when they do not fit in it. */
  readonly policy: { readonly name: string; readonly document: PolicyDocument };
  /** The managed policies holding what does not fit the inline policy (IAM's 10,240 characters); usually none. */
  readonly managedPolicies: readonly string[];
  readonly functions: Readonly<Record<FunctionRole, { readonly name: string; readonly arn: string }>>;
  readonly api: { readonly name: string; readonly id: string };
  /** The SNS topic that alarms notify; the worker is subscribed to it. */
  readonly topic: { readonly name: string; readonly arn: string };
  readonly stage: string;
  /** With the token only when this run issued it; a placeholder otherwise; empty without the dockerhub source. */
  readonly url: string;
  readonly sources: readonly InstallSource[];
  /** The EventBridge rule for ECR pushes, with the ecr source. */
  readonly ecrRule?: { readonly name: string; readonly arn: string };
  readonly tokenIssued: boolean;
  readonly logGroups: readonly string[];
  readonly passRoleArns: readonly string[];
  readonly actions: readonly { readonly kind: InstallAction['kind']; readonly description: string }[];
  /** The pushes queue (FIFO), the follow queue and their dead-letter queues (src/core/install-queues.ts). */
  readonly queues: Readonly<Record<string, string>>;
  /** What was done to the queues and their mappings, one line each. */
  readonly queueActions: readonly string[];
  /** Scaling policies moved (or, with --dry-run, to move) from alarms' tags to their services' tags. */
  readonly policyMoves: readonly PolicyMove[];
  readonly warnings: readonly string[];
  /** What the install runs with after this run, and each setting that changed (old → new). */
  readonly settings: {
    readonly repositories: readonly string[];
    readonly clusters: readonly string[];
    readonly policy: string;
    readonly strategy: Strategy;
    readonly timeoutSeconds: number;
    /** Topic ARNs, and URLs as scheme and host only (a URL is a secret). */
    readonly notify: readonly string[];
  };
  readonly settingChanges: readonly SettingChange[];
}

export const KEPT_TOKEN_PLACEHOLDER = '<token from the first install>';
export const DRY_RUN_TOKEN_PLACEHOLDER = '<token>';
