/**
 * What an install should be, decided from plain data: the functions' sizes and timeouts, the role
 * they run as, the worker's IAM policy and the tags. The readers supply what exists; the planner
 * (install-plan.ts) compares the two.
 */
import { managedPolicyArn, partitionOf, roleArn, type Location } from './arn.js';
import { splitPolicy } from './install-iam-split.js';
import { alarmTopicPolicy, installPolicyDocument, receiverPolicyDocument, TRUST_POLICY_DOCUMENT } from './install-iam.js';
import { ARCHITECTURE, FUNCTION_ROLES, INSTALL_TAG, LOG_RETENTION_DAYS, type FunctionRole, type InstallNames } from './install-names.js';
import type { DesiredInstall, FunctionSpec } from './install-types.js';
import { runBeforeStatements, withRunBeforeStatements, type RunBeforeScope } from './run-before-policy.js';

/** The receiver answers the webhook within API Gateway's 29 s; the worker may use Lambda's whole 900 s. */
export const FUNCTION_TIMEOUT_SECONDS: Readonly<Record<FunctionRole, number>> = { receiver: 10, worker: 900 };
export const FUNCTION_MEMORY_MB: Readonly<Record<FunctionRole, number>> = { receiver: 256, worker: 512 };

export interface DesiredInstallInput extends Location {
  readonly names: InstallNames;
  readonly stage: string;
  /** What the package holds: the handler of each function and the runtime they run on. */
  readonly handlers: Readonly<Record<FunctionRole, string>>;
  readonly runtime: string;
  /** Base64 SHA-256 of the deployment zip. */
  readonly codeSha256: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly clusters: readonly string[];
  readonly repositories: readonly string[];
  /** Task and execution roles (names or ARNs) of the task definitions running the repositories. */
  readonly passRoles: readonly string[];
  /** Services running the repositories that still have a pre-2021 short ARN: UpdateService names each. */
  readonly shortArnServices?: readonly string[];
  /** What the running task definitions need for `--run-before` tasks, and whether there are any. */
  readonly runBefore: { readonly scope: RunBeforeScope; readonly enabled: boolean };
}

/** Where an install's managed policies live: only install writes there, so uninstall finds them all. */
export function managedPolicyPath(install: string): string {
  return `/ecs-roll/${install}/`;
}

/** ECS accepts a role's bare name as well as its ARN; IAM policies need the ARN. */
export function passRoleArns(at: Location, roles: readonly string[]): string[] {
  return [...new Set(roles.map((value) => (value.startsWith('arn:') ? value : roleArn(at, value))))].sort();
}

export function desiredInstall(input: DesiredInstallInput): DesiredInstall {
  const at = { region: input.region, account: input.account };
  const { names } = input;
  // The receiver answers the internet and runs as its own role, which can only hand pushes off and log.
  const executionRole = (role: FunctionRole) => roleArn(at, role === 'receiver' ? names.receiverRole : names.role);
  const spec = (role: FunctionRole): FunctionSpec => ({
    name: names.functions[role],
    handler: input.handlers[role],
    runtime: input.runtime,
    timeout: FUNCTION_TIMEOUT_SECONDS[role],
    memorySize: FUNCTION_MEMORY_MB[role],
    architecture: ARCHITECTURE,
    roleArn: executionRole(role),
    environment: input.environment,
  });
  const permissions = withRunBeforeStatements(
    installPolicyDocument({
      ...at,
      names,
      clusters: input.clusters,
      passRoleArns: passRoleArns(at, input.passRoles),
      ...(input.shortArnServices === undefined ? {} : { shortArnServices: input.shortArnServices }),
      repositories: input.repositories,
      taskLogGroups: input.runBefore.scope.logGroups,
    }),
    input.runBefore.enabled ? runBeforeStatements({ ...at, partition: partitionOf(at.region) }, input.clusters, input.runBefore.scope) : [],
  );
  // Past IAM's 10,240 characters for a role's inline policies, the rest goes into managed policies.
  const split = splitPolicy(permissions);
  const path = managedPolicyPath(names.install);
  const managedPolicies = split.managed.map((document, index) => {
    const name = `${names.policy}-${index + 1}`;
    return { name, path, arn: managedPolicyArn(at, `${path.slice(1)}${name}`), document };
  });
  const functions = Object.fromEntries(FUNCTION_ROLES.map((role) => [role, spec(role)])) as Record<FunctionRole, FunctionSpec>;
  return {
    ...at,
    names,
    stage: input.stage,
    trustPolicy: TRUST_POLICY_DOCUMENT,
    policyDocument: split.inline,
    permissions,
    managedPolicies,
    functions,
    codeSha256: input.codeSha256,
    logRetentionDays: LOG_RETENTION_DAYS,
    tags: { [INSTALL_TAG]: names.install },
    receiverRole: { name: names.receiverRole, policyName: names.receiverPolicy, document: receiverPolicyDocument(at, names) },
    topicPolicy: alarmTopicPolicy(at, names.topic),
  };
}
