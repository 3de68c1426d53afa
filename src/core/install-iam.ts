/**
 * The worker's IAM policy as data: the statements a rollout and the alarm path need, and how two
 * documents compare. Pure, so `install --dry-run` prints exactly what would be put.
 */
import { logGroupArn, partitionOf, queueArn, topicArn, type Location } from './arn.js';
import { CLOUDWATCH_PRINCIPAL, type InstallNames } from './install-names.js';
import { queueNames, queueStatements } from './install-queues.js';
import { ecrReadStatement } from './registry-policy.js';

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/** IAM's trust policies name a Principal rather than a Resource, so this one is written out. */
export const TRUST_POLICY_DOCUMENT = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
} as const;

export interface PolicyInput extends Location {
  readonly names: InstallNames;
  /** Cluster names the install is limited to; every cluster when empty. */
  readonly clusters: readonly string[];
  /** Task and execution role ARNs that the task definitions running the repositories name. */
  readonly passRoleArns: readonly string[];
  /**
   * Services running the repositories whose ARN has the pre-2021 short form (`service/NAME`, no cluster): the
   * cluster patterns below do not match them, so UpdateService names each. No new service gets that form. Such
   * an ARN does not name its cluster, so the grant also reaches a same-named short-ARN service in another cluster.
   */
  readonly shortArnServices?: readonly string[];
  /** The allow-list: its ECR repositories get the read statement the tag check needs. */
  readonly repositories?: readonly string[];
  /** awslogs groups of the task definitions running the repositories: the diagnosis reads their log tails. */
  readonly taskLogGroups?: readonly string[];
}

/**
 * The worker's least privilege: what a rollout and the alarm path call, scoped as far as each
 * action's resource-level support allows. ECS's list and describe calls and RegisterTaskDefinition
 * take no resource ARN, so they alone get "*"; CloudWatch's alarm calls take alarm ARNs. What only
 * the receiver calls (SendMessage to the pushes queue, its own log group) is in receiverPolicyDocument
 * and not here: the worker's role grants nothing the worker does not call itself.
 */
export function installPolicyDocument(input: PolicyInput): PolicyDocument {
  const partition = partitionOf(input.region);
  const ecs = `arn:${partition}:ecs:${input.region}:${input.account}`;
  const alarms = `arn:${partition}:cloudwatch:${input.region}:${input.account}:alarm:*`;
  const clusters = input.clusters.length === 0 ? ['*'] : [...new Set(input.clusters)].sort();
  const passRoles = [...new Set(input.passRoleArns)].sort();
  const statements: PolicyStatement[] = [
    {
      Sid: 'EcsRead',
      Effect: 'Allow',
      Action: [
        'ecs:DescribeServices',
        'ecs:DescribeTaskDefinition',
        'ecs:DescribeTasks',
        'ecs:ListClusters',
        'ecs:ListServices',
        'ecs:ListTasks',
        // The stage of BLUE_GREEN, LINEAR and CANARY deployments, and ECS's own rollback of them.
        'ecs:ListServiceDeployments',
        'ecs:DescribeServiceDeployments',
        // `replace` counts a load-balanced replacement only once its targets are healthy, as ECS does.
        'elasticloadbalancing:DescribeTargetHealth',
        // …and finds which `instance` target is a bridge or host task by the EC2 id of its container instance.
        'ecs:DescribeContainerInstances',
      ],
      Resource: '*',
    },
    { Sid: 'EcsRegisterTaskDefinition', Effect: 'Allow', Action: 'ecs:RegisterTaskDefinition', Resource: '*' },
    { Sid: 'EcsTagTaskDefinition', Effect: 'Allow', Action: 'ecs:TagResource', Resource: `${ecs}:task-definition/*` },
    {
      Sid: 'EcsUpdateService',
      Effect: 'Allow',
      Action: 'ecs:UpdateService',
      Resource: [...clusters.map((c) => `${ecs}:service/${c}/*`), ...[...new Set(input.shortArnServices ?? [])].sort()],
    },
    { Sid: 'EcsStopTask', Effect: 'Allow', Action: 'ecs:StopTask', Resource: clusters.map((c) => `${ecs}:task/${c}/*`) },
    // The alarm path: the policy in the service's tags and its scaled-at tag; the alarm's state and its
    // ecs-roll:service tag (which service to look at); the service's Application Auto Scaling bounds.
    {
      Sid: 'EcsServiceTags',
      Effect: 'Allow',
      Action: ['ecs:ListTagsForResource', 'ecs:TagResource'],
      Resource: clusters.map((c) => `${ecs}:service/${c}/*`),
    },
    { Sid: 'CloudWatchReadAlarms', Effect: 'Allow', Action: ['cloudwatch:DescribeAlarms', 'cloudwatch:ListTagsForResource'], Resource: alarms },
    // DescribeScalableTargets takes no resource ARN (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsapplicationautoscaling.html).
    { Sid: 'AutoScalingBounds', Effect: 'Allow', Action: 'application-autoscaling:DescribeScalableTargets', Resource: '*' },
    ...ecrReadStatement(input.repositories ?? []),
    ...taskLogsStatement(input, input.taskLogGroups ?? []),
  ];
  if (passRoles.length > 0) {
    statements.push({
      Sid: 'PassTaskRoles',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: passRoles,
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    });
  }
  // The worker writes its own log group only (Lambda writes a function's lines with its execution role), and
  // invokes no function: the receiver alone hands pushes on, to the pushes queue, under its own role.
  // https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
  // https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
  statements.push(
    {
      Sid: 'WriteLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: `${logGroupArn(input, input.names.logGroups.worker)}:*`,
    },
    ...queueStatements(input, input.names.install),
  );
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * The diagnosis of a failed push (and a --run-before task's report) reads the last lines of the failed
 * containers' awslogs streams; only the groups the task definitions in use name, so without any there is no
 * statement and the diagnosis goes on without log tails.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html
 */
function taskLogsStatement(at: Location, groups: readonly string[]): PolicyStatement[] {
  if (groups.length === 0) return [];
  const logs = `arn:${partitionOf(at.region)}:logs:${at.region}:${at.account}`;
  const resources = [...new Set(groups)].sort().map((group) => `${logs}:log-group:${group}:log-stream:*`);
  return [{ Sid: 'ReadTaskLogs', Effect: 'Allow', Action: 'logs:GetLogEvents', Resource: resources }];
}

/** Compares documents by meaning: key order and single-versus-list spellings do not count. */
export function samePolicy(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(canonical);
    return items.length === 1 ? items[0] : items;
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, field]) => field !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, field]) => [key, canonical(field)]),
    );
  }
  return value;
}

/**
 * The receiver's own policy. It answers the internet, so a flaw in it must not reach ECS: it may only
 * hand a push off to the pushes queue (GetQueueUrl to find it, SendMessage) and write its own logs.
 */
export function receiverPolicyDocument(at: Location, names: InstallNames): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'HandOffPushes',
        Effect: 'Allow',
        Action: ['sqs:SendMessage', 'sqs:GetQueueUrl'],
        Resource: queueArn(at, queueNames(names.install).pushes),
      },
      {
        Sid: 'WriteLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `${logGroupArn(at, names.logGroups.receiver)}:*`,
      },
    ],
  };
}

/** The alarms of this account and region, as CloudWatch names them in aws:SourceArn. */
export function alarmsArnPattern(at: Location): string {
  return `arn:${partitionOf(at.region)}:cloudwatch:${at.region}:${at.account}:alarm:*`;
}

/**
 * The alarm topic's access policy: CloudWatch may publish for alarms of this account (aws:SourceArn and
 * aws:SourceAccount, against the confused deputy), and every other publish is denied, also to this
 * account's own users, whose identity policies would otherwise let them forge alarm messages.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcearn
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html (a negated
 * operator matches when the key is absent, as aws:SourceArn is from a user's own call)
 */
export function alarmTopicPolicy(at: Location, topicName: string): unknown {
  const topic = topicArn(at, topicName);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'CloudWatchAlarmsOfThisAccount',
        Effect: 'Allow',
        Principal: { Service: CLOUDWATCH_PRINCIPAL },
        Action: 'sns:Publish',
        Resource: topic,
        Condition: { ArnLike: { 'aws:SourceArn': alarmsArnPattern(at) }, StringEquals: { 'aws:SourceAccount': at.account } },
      },
      {
        Sid: 'NoOtherPublisher',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: topic,
        Condition: { ArnNotLike: { 'aws:SourceArn': alarmsArnPattern(at) } },
      },
    ],
  };
}
