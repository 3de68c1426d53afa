/**
 * The shapes install plans with: what should exist (desired), what exists (observed, as the
 * readers saw it), and the actions between them. Plain data, no behaviour.
 */
import type { Location } from './arn.js';
import type { PolicyDocument } from './install-iam.js';
import type { FunctionRole, InstallNames } from './install-names.js';

export interface FunctionSpec {
  readonly name: string;
  readonly handler: string;
  readonly runtime: string;
  readonly timeout: number;
  readonly memorySize: number;
  readonly architecture: string;
  readonly roleArn: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly reservedConcurrency?: number;
}

export interface DesiredInstall extends Location {
  readonly names: InstallNames;
  readonly stage: string;
  readonly trustPolicy: unknown;
  /** The worker's inline policy. */
  readonly policyDocument: PolicyDocument;
  /** All the worker's permissions, inline and managed together (what --dry-run prints); the inline policy when undefined. */
  readonly permissions?: PolicyDocument;
  readonly functions: Readonly<Record<FunctionRole, FunctionSpec>>;
  /** Base64 SHA-256 of the deployment zip, as Lambda reports CodeSha256. */
  readonly codeSha256: string;
  readonly logRetentionDays: number;
  readonly tags: Readonly<Record<string, string>>;
  /** The receiver's own role; without it the receiver runs as the worker's role (as installs before it did). */
  readonly receiverRole?: DesiredRole;
  /** The alarm topic's access policy; left as it is when undefined. */
  readonly topicPolicy?: unknown;
  /**
   * The worker's permissions that do not fit its inline policy (src/core/install-iam-split.ts), as customer
   * managed policies attached to its role; empty when all fit. Left as they are when undefined.
   */
  readonly managedPolicies?: readonly DesiredManagedPolicy[];
}

export interface DesiredManagedPolicy {
  readonly name: string;
  /** Every managed policy of the install lives under `/ecs-roll/<install>/`, which is how it is found again. */
  readonly path: string;
  readonly arn: string;
  readonly document: PolicyDocument;
}

export interface ObservedManagedPolicy {
  readonly name: string;
  readonly arn: string;
  readonly document?: unknown;
  /** Attached to the worker's role. */
  readonly attached: boolean;
}

/** An IAM role install owns: trusted by Lambda, with one inline policy. */
export interface DesiredRole {
  readonly name: string;
  readonly policyName: string;
  readonly document: PolicyDocument;
}

export interface ObservedRole {
  readonly arn: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly trustPolicy?: unknown;
  readonly policyDocument?: unknown;
}

export interface ObservedFunction {
  readonly arn: string;
  readonly handler?: string;
  readonly runtime?: string;
  readonly timeout?: number;
  readonly memorySize?: number;
  readonly architectures?: readonly string[];
  readonly roleArn?: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly codeSha256?: string;
  readonly reservedConcurrency?: number;
  readonly tags: Readonly<Record<string, string>>;
  /** The resource policy's statements, by Sid. */
  readonly permissions: Readonly<Record<string, ObservedPermission>>;
}

export interface ObservedPermission {
  readonly principal?: string;
  readonly sourceArn?: string;
  readonly sourceAccount?: string;
}

export interface ObservedSubscription {
  readonly arn: string;
  readonly protocol: string;
  readonly endpoint: string;
}

export interface ObservedTopic {
  readonly arn: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly subscriptions: readonly ObservedSubscription[];
  /** The topic's access policy (GetTopicAttributes `Policy`), parsed. */
  readonly policy?: unknown;
}

export interface ObservedResource {
  readonly id: string;
  readonly path: string;
  readonly post?: { readonly authorizationType?: string; readonly integrationType?: string; readonly integrationUri?: string };
}

export interface ObservedApi {
  readonly id: string;
  readonly rootId: string;
  readonly resources: readonly ObservedResource[];
  readonly stage?: { readonly name: string; readonly rateLimit?: number; readonly burstLimit?: number };
}

export interface ObservedInstall {
  readonly account?: string;
  readonly role?: ObservedRole;
  readonly receiverRole?: ObservedRole;
  /** The install's managed policies (under its path); undefined when not read. */
  readonly managedPolicies?: readonly ObservedManagedPolicy[];
  readonly functions: Readonly<Partial<Record<FunctionRole, ObservedFunction>>>;
  readonly logGroups: Readonly<Partial<Record<FunctionRole, { readonly retentionDays?: number }>>>;
  readonly api?: ObservedApi;
  readonly topic?: ObservedTopic;
}

export type InstallAction =
  | { readonly kind: 'create-role'; readonly role: string; readonly trustPolicy: unknown; readonly tags: Readonly<Record<string, string>> }
  | { readonly kind: 'update-trust-policy'; readonly role: string; readonly trustPolicy: unknown }
  | { readonly kind: 'put-role-policy'; readonly role: string; readonly policyName: string; readonly document: PolicyDocument }
  | { readonly kind: 'create-log-group'; readonly logGroup: string; readonly retentionDays: number; readonly tags: Readonly<Record<string, string>> }
  | { readonly kind: 'put-retention'; readonly logGroup: string; readonly retentionDays: number }
  | {
      readonly kind: 'create-function';
      readonly function: FunctionSpec;
      readonly codeSha256: string;
      readonly tags: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'update-function-code'; readonly functionName: string; readonly codeSha256: string }
  | { readonly kind: 'update-function-configuration'; readonly function: FunctionSpec; readonly changed: readonly string[] }
  | { readonly kind: 'put-concurrency'; readonly functionName: string; readonly reservedConcurrency: number }
  | { readonly kind: 'create-rest-api'; readonly api: string; readonly tags: Readonly<Record<string, string>> }
  | { readonly kind: 'create-resource'; readonly parentPath: string; readonly pathPart: string; readonly path: string }
  | { readonly kind: 'put-method'; readonly path: string; readonly httpMethod: 'POST'; readonly authorizationType: 'NONE' }
  | { readonly kind: 'put-integration'; readonly path: string; readonly httpMethod: 'POST'; readonly type: 'AWS_PROXY'; readonly uri: string }
  | { readonly kind: 'create-deployment'; readonly stage: string }
  | { readonly kind: 'update-stage-throttling'; readonly stage: string; readonly rateLimit: number; readonly burstLimit: number }
  | { readonly kind: 'remove-permission'; readonly functionName: string; readonly statementId: string }
  | {
      readonly kind: 'add-permission';
      readonly functionName: string;
      readonly statementId: string;
      readonly principal: string;
      /** Exactly one of the two: the resource that may call, or the account whose resources may. */
      readonly sourceArn?: string;
      readonly sourceAccount?: string;
    }
  | { readonly kind: 'create-topic'; readonly topic: string; readonly topicArn: string; readonly tags: Readonly<Record<string, string>> }
  | {
      readonly kind: 'create-managed-policy';
      readonly policyName: string;
      readonly path: string;
      readonly arn: string;
      readonly document: PolicyDocument;
      readonly tags: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'update-managed-policy'; readonly arn: string; readonly document: PolicyDocument }
  | { readonly kind: 'attach-role-policy'; readonly role: string; readonly arn: string }
  | { readonly kind: 'detach-role-policy'; readonly role: string; readonly arn: string }
  | { readonly kind: 'delete-managed-policy'; readonly arn: string }
  | { readonly kind: 'set-topic-policy'; readonly topicArn: string; readonly policy: unknown }
  | { readonly kind: 'subscribe'; readonly topicArn: string; readonly protocol: 'lambda'; readonly endpoint: string };
