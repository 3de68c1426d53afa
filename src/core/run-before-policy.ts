import type { TaskDefinitionSnapshot } from './model.js';
import type { PolicyDocument, PolicyStatement } from './install-plan.js';

/** What the worker's `--run-before` tasks touch: the families they run and the log groups they write. */
export interface RunBeforeScope {
  readonly families: readonly string[];
  readonly logGroups: readonly string[];
}

/** The families and awslogs groups of the task definitions a rollout may copy and run. */
export function runBeforeScope(definitions: readonly TaskDefinitionSnapshot[]): RunBeforeScope {
  const logGroups = new Set<string>();
  for (const definition of definitions) {
    const containers = definition.definition['containerDefinitions'];
    for (const container of Array.isArray(containers)
      ? (containers as { logConfiguration?: { logDriver?: string; options?: Record<string, string> } }[])
      : []) {
      const group = container.logConfiguration?.options?.['awslogs-group'];
      if (container.logConfiguration?.logDriver === 'awslogs' && typeof group === 'string') logGroups.add(group);
    }
  }
  return { families: [...new Set(definitions.map((definition) => definition.family))].sort(), logGroups: [...logGroups].sort() };
}

/**
 * What `--run-before` adds to the worker's policy, and only then. RunTask is scoped to the families'
 * revisions; tagging the task at launch needs ecs:TagResource with ecs:CreateAction RunTask
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html);
 * DescribeTasks is in the read statement, StopTask in its own, and iam:PassRole for the task's roles in
 * PassTaskRoles, all of which the rollout needs anyway; logs:GetLogEvents on the task definitions' awslogs groups is in
 * ReadTaskLogs, which the diagnosis of every push needs too.
 */
export function runBeforeStatements(
  at: { readonly region: string; readonly account: string; readonly partition: string },
  clusters: readonly string[],
  scope: RunBeforeScope,
): PolicyStatement[] {
  const ecs = `arn:${at.partition}:ecs:${at.region}:${at.account}`;
  const clusterNames = clusters.length === 0 ? ['*'] : [...new Set(clusters)].sort();
  const families = scope.families.length === 0 ? ['*'] : scope.families;
  return [
    { Sid: 'EcsRunBeforeTask', Effect: 'Allow', Action: 'ecs:RunTask', Resource: families.map((family) => `${ecs}:task-definition/${family}:*`) },
    {
      Sid: 'EcsTagRunBeforeTask',
      Effect: 'Allow',
      Action: 'ecs:TagResource',
      Resource: clusterNames.map((cluster) => `${ecs}:task/${cluster}/*`),
      Condition: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
    },
  ];
}

/** The install's policy with the run-before statements appended; unchanged without any. */
export function withRunBeforeStatements(document: PolicyDocument, statements: readonly PolicyStatement[]): PolicyDocument {
  if (statements.length === 0) return document;
  return { ...document, Statement: [...document.Statement, ...statements] };
}
