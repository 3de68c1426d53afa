/**
 * `ecs-roll uninstall` as data: from what the readers found, the steps in the order that stops new
 * work first (the API, the ECR rule, the alarm topic, the queues), then the functions, the role and
 * the log groups. Pure, so `uninstall --dry-run` prints exactly what a run would delete.
 *
 * What another tool or install owns (no INSTALL_TAG of this install) stays, and so does a role that a
 * function left in place still runs as, whoever made the role.
 */
import { EVENTS_PERMISSION_STATEMENT_ID } from './ecr-trigger.js';
import { FUNCTION_ROLES, INSTALL_TAG, type FunctionRole, type InstallNames } from './install-names.js';

export type RemovalKind =
  | 'rest-api'
  | 'eventbridge-rule'
  | 'lambda-permission'
  | 'sns-topic'
  | 'lambda-function'
  | 'iam-role-policy'
  | 'iam-managed-policy'
  | 'iam-role'
  | 'log-group'
  | 'sqs-queue'
  | 'event-source-mapping';

export type RemovalDecision = 'delete' | 'already gone' | 'not ours, left alone';

export interface RemovalStep {
  readonly kind: RemovalKind;
  readonly name: string;
  readonly id?: string;
  readonly decision: RemovalDecision;
  readonly reason?: string;
  /** For the topic: how many subscriptions go with it. */
  readonly subscriptions?: number;
  /** What the delete call addresses when neither name nor id does: a queue's URL, a rule's target ids. */
  readonly address?: string | readonly string[];
}

type Tags = Readonly<Record<string, string>>;

export interface ObservedRole {
  readonly name: string;
  readonly policyName: string;
  /** Undefined when there is no such role. */
  readonly found?: { readonly arn: string; readonly tags: Tags; readonly hasInlinePolicy: boolean };
}

export interface ObservedRemoval {
  /** The REST APIs named and tagged for the install. */
  readonly apiIds: readonly string[];
  readonly ecr: {
    /** The worker's statement for EventBridge exists. */
    readonly permission: boolean;
    readonly rule?: { readonly name: string; readonly arn: string; readonly tags: Tags; readonly targetIds: readonly string[] };
    readonly ruleName: string;
  };
  /** `tags` undefined: the topic went between ListTopics and ListTagsForResource. */
  readonly topic?: { readonly arn: string; readonly tags?: Tags; readonly subscriptions: number };
  /** The worker's mappings from the install's queues. */
  readonly mappings: readonly { readonly uuid: string; readonly queue: string }[];
  /** The install's queues in removal order; `url` undefined when there is no such queue. */
  readonly queues: readonly { readonly name: string; readonly url?: string; readonly tags?: Tags }[];
  readonly functions: Readonly<Partial<Record<FunctionRole, { readonly tags: Tags; readonly roleArn?: string }>>>;
  readonly roles: readonly ObservedRole[];
  /** The install's managed policies (under its path), which only the worker's role has attached. */
  readonly managedPolicies?: readonly { readonly name: string; readonly arn: string; readonly attached: boolean }[];
  readonly logGroups: Readonly<Partial<Record<FunctionRole, boolean>>>;
}

export function planUninstall(names: InstallNames, observed: ObservedRemoval): RemovalStep[] {
  const steps: RemovalStep[] = [];
  const ours = (tags: Tags | undefined) => tags?.[INSTALL_TAG] === names.install;
  const notOurs = { decision: 'not ours, left alone', reason: `no tag ${INSTALL_TAG}=${names.install}` } as const;

  // The API first: it stops taking webhooks before the functions behind it go.
  if (observed.apiIds.length === 0) steps.push({ kind: 'rest-api', name: names.api, decision: 'already gone' });
  for (const id of observed.apiIds) steps.push({ kind: 'rest-api', name: names.api, id, decision: 'delete' });

  // The ECR rule: nothing more comes from EventBridge. The permission is listed only when there is one:
  // an install without the ecr source never had it.
  const { ecr } = observed;
  if (ecr.permission)
    steps.push({
      kind: 'lambda-permission',
      name: `${names.functions.worker} ${EVENTS_PERMISSION_STATEMENT_ID}`,
      decision: 'delete',
      address: names.functions.worker,
    });
  if (ecr.rule === undefined) steps.push({ kind: 'eventbridge-rule', name: ecr.ruleName, decision: 'already gone' });
  else if (!ours(ecr.rule.tags)) steps.push({ kind: 'eventbridge-rule', name: ecr.ruleName, ...notOurs });
  else steps.push({ kind: 'eventbridge-rule', name: ecr.ruleName, decision: 'delete', address: ecr.rule.targetIds });

  // The alarm topic, before the worker it delivers to; DeleteTopic takes its subscriptions with it.
  const { topic } = observed;
  if (topic === undefined) steps.push({ kind: 'sns-topic', name: names.topic, decision: 'already gone' });
  else if (topic.tags === undefined) steps.push({ kind: 'sns-topic', name: names.topic, id: topic.arn, decision: 'already gone' });
  else if (!ours(topic.tags)) steps.push({ kind: 'sns-topic', name: names.topic, id: topic.arn, ...notOurs });
  else steps.push({ kind: 'sns-topic', name: names.topic, id: topic.arn, decision: 'delete', subscriptions: topic.subscriptions });

  // The queues and their mappings: nothing more reaches the worker.
  for (const mapping of observed.mappings) {
    steps.push({ kind: 'event-source-mapping', name: `${mapping.queue} → ${names.functions.worker}`, decision: 'delete', address: mapping.uuid });
  }
  for (const queue of observed.queues) {
    if (queue.url === undefined) steps.push({ kind: 'sqs-queue', name: queue.name, decision: 'already gone' });
    else if (!ours(queue.tags)) steps.push({ kind: 'sqs-queue', name: queue.name, ...notOurs });
    else steps.push({ kind: 'sqs-queue', name: queue.name, decision: 'delete', address: queue.url });
  }

  // The functions; their resource policies (the API Gateway and alarm permissions) go with them.
  const foreign = new Set<FunctionRole>();
  // A function left in place keeps running as its role: that role must stay, whoever made it.
  const rolesInUse = new Map<string, string>();
  for (const role of ['receiver', 'worker'] as const) {
    const name = names.functions[role];
    const fn = observed.functions[role];
    if (fn === undefined) {
      steps.push({ kind: 'lambda-function', name, decision: 'already gone' });
    } else if (!ours(fn.tags)) {
      steps.push({ kind: 'lambda-function', name, ...notOurs });
      foreign.add(role);
      if (fn.roleArn !== undefined) rolesInUse.set(fn.roleArn, name);
    } else {
      steps.push({ kind: 'lambda-function', name, decision: 'delete' });
    }
  }

  // The roles: each inline policy first, as IAM refuses to delete a role that still has one.
  for (const role of observed.roles) {
    const found = role.found;
    const user = found === undefined ? undefined : rolesInUse.get(found.arn);
    // The managed policies (detached first) go with the worker's role, or alone when it is gone.
    const managed = (role.name === names.role ? (observed.managedPolicies ?? []) : []).map(
      (policy): RemovalStep => ({
        kind: 'iam-managed-policy',
        name: policy.name,
        id: policy.arn,
        decision: 'delete',
        address: policy.attached ? role.name : '',
      }),
    );
    if (found === undefined) {
      steps.push(...managed);
      steps.push({ kind: 'iam-role-policy', name: role.policyName, decision: 'already gone' });
      steps.push({ kind: 'iam-role', name: role.name, decision: 'already gone' });
    } else if (!ours(found.tags)) {
      steps.push({ kind: 'iam-role', name: role.name, ...notOurs });
    } else if (user !== undefined) {
      steps.push({
        kind: 'iam-role',
        name: role.name,
        decision: 'not ours, left alone',
        reason: `Lambda function ${user}, which is not this install's and stays, still runs as it`,
      });
    } else {
      steps.push(...managed);
      steps.push({ kind: 'iam-role-policy', name: role.policyName, decision: found.hasInlinePolicy ? 'delete' : 'already gone', address: role.name });
      steps.push({ kind: 'iam-role', name: role.name, decision: 'delete' });
    }
  }

  // The functions' log groups: named for functions that were this install's.
  for (const role of FUNCTION_ROLES) {
    const name = names.logGroups[role];
    if (foreign.has(role)) steps.push({ kind: 'log-group', name, decision: 'not ours, left alone', reason: `its function is not this install's` });
    else steps.push({ kind: 'log-group', name, decision: observed.logGroups[role] === true ? 'delete' : 'already gone' });
  }
  return steps;
}
