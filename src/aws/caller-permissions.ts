import { ecrRuleName } from '../core/ecr-trigger.js';
import { installNames } from '../core/install-plan.js';

/**
 * The IAM actions each SDK command of `install`/`uninstall` needs from whoever runs them (not the
 * worker's role: that policy is installPolicyDocument). A unit test checks that every command
 * install and uninstall send (src/aws/install-read.ts, install-apply/, uninstall.ts) is listed here and that the README prints the policy this builds.
 * Sources: https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
 * (per service), and for API Gateway's HTTP-verb actions
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/security_iam_service-with-iam.html
 */
export const INSTALL_COMMAND_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  // API Gateway authorises its management API by HTTP verb on the resource path.
  CreateRestApi: ['apigateway:POST'],
  GetRestApis: ['apigateway:GET'],
  GetResources: ['apigateway:GET'],
  CreateResource: ['apigateway:POST'],
  PutMethod: ['apigateway:PUT'],
  PutIntegration: ['apigateway:PUT'],
  CreateDeployment: ['apigateway:POST'],
  GetStage: ['apigateway:GET'],
  UpdateStage: ['apigateway:PATCH'],
  DeleteRestApi: ['apigateway:DELETE'],
  CreateLogGroup: ['logs:CreateLogGroup', 'logs:TagResource'],
  DescribeLogGroups: ['logs:DescribeLogGroups'],
  PutRetentionPolicy: ['logs:PutRetentionPolicy'],
  DeleteLogGroup: ['logs:DeleteLogGroup'],
  CreateRole: ['iam:CreateRole', 'iam:TagRole'],
  GetRole: ['iam:GetRole'],
  UpdateAssumeRolePolicy: ['iam:UpdateAssumeRolePolicy'],
  GetRolePolicy: ['iam:GetRolePolicy'],
  PutRolePolicy: ['iam:PutRolePolicy'],
  DeleteRolePolicy: ['iam:DeleteRolePolicy'],
  DeleteRole: ['iam:DeleteRole'],
  // The worker's managed policies, when its permissions pass the inline policy's 10,240 characters.
  ListPolicies: ['iam:ListPolicies'],
  GetPolicyVersion: ['iam:GetPolicyVersion'],
  ListPolicyVersions: ['iam:ListPolicyVersions'],
  CreatePolicy: ['iam:CreatePolicy', 'iam:TagPolicy'],
  CreatePolicyVersion: ['iam:CreatePolicyVersion'],
  DeletePolicyVersion: ['iam:DeletePolicyVersion'],
  DeletePolicy: ['iam:DeletePolicy'],
  ListAttachedRolePolicies: ['iam:ListAttachedRolePolicies'],
  AttachRolePolicy: ['iam:AttachRolePolicy'],
  DetachRolePolicy: ['iam:DetachRolePolicy'],
  // CreateFunction passes the install's role to Lambda.
  CreateFunction: ['lambda:CreateFunction', 'lambda:TagResource', 'iam:PassRole'],
  // GetFunction returns the function's tags only with lambda:ListTags.
  GetFunction: ['lambda:GetFunction', 'lambda:ListTags'],
  // When GetFunction answers TagsError instead of Tags (src/aws/function-tags.ts).
  ListTags: ['lambda:ListTags'],
  GetFunctionConfiguration: ['lambda:GetFunctionConfiguration'],
  GetFunctionConcurrency: ['lambda:GetFunctionConcurrency'],
  PutFunctionConcurrency: ['lambda:PutFunctionConcurrency'],
  UpdateFunctionCode: ['lambda:UpdateFunctionCode'],
  UpdateFunctionConfiguration: ['lambda:UpdateFunctionConfiguration'],
  AddPermission: ['lambda:AddPermission'],
  RemovePermission: ['lambda:RemovePermission'],
  GetPolicy: ['lambda:GetPolicy'],
  DeleteFunction: ['lambda:DeleteFunction'],
  CreateTopic: ['sns:CreateTopic', 'sns:TagResource'],
  ListTopics: ['sns:ListTopics'],
  Subscribe: ['sns:Subscribe'],
  GetTopicAttributes: ['sns:GetTopicAttributes'],
  SetTopicAttributes: ['sns:SetTopicAttributes'],
  ListSubscriptionsByTopic: ['sns:ListSubscriptionsByTopic'],
  // SNS's for the alarm topic and EventBridge's for the ECR rule (the command has one name in both SDKs).
  ListTagsForResource: ['sns:ListTagsForResource', 'events:ListTagsForResource'],
  DeleteTopic: ['sns:DeleteTopic'],
  // src/aws/install-queues.ts: the queues and the worker's mappings.
  DeleteFunctionConcurrency: ['lambda:DeleteFunctionConcurrency'],
  CreateEventSourceMapping: ['lambda:CreateEventSourceMapping'],
  ListEventSourceMappings: ['lambda:ListEventSourceMappings'],
  UpdateEventSourceMapping: ['lambda:UpdateEventSourceMapping'],
  DeleteEventSourceMapping: ['lambda:DeleteEventSourceMapping'],
  CreateQueue: ['sqs:CreateQueue', 'sqs:TagQueue'],
  GetQueueUrl: ['sqs:GetQueueUrl'],
  GetQueueAttributes: ['sqs:GetQueueAttributes'],
  SetQueueAttributes: ['sqs:SetQueueAttributes'],
  ListQueueTags: ['sqs:ListQueueTags'],
  DeleteQueue: ['sqs:DeleteQueue'],
  // src/aws/install-ecr-trigger.ts: the EventBridge rule for ECR pushes (--source ecr).
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html
  PutRule: ['events:PutRule', 'events:TagResource'],
  DescribeRule: ['events:DescribeRule'],
  PutTargets: ['events:PutTargets'],
  ListTargetsByRule: ['events:ListTargetsByRule'],
  RemoveTargets: ['events:RemoveTargets'],
  DeleteRule: ['events:DeleteRule'],
  // The notification URLs' SecureString parameter (src/aws/install-notify.ts); tags only when it is created.
  GetParameter: ['ssm:GetParameter'],
  PutParameter: ['ssm:PutParameter', 'ssm:AddTagsToResource'],
  DeleteParameter: ['ssm:DeleteParameter'],
};

/** Calls on the install's managed policies themselves (the attach and detach calls name the role as well). */
const POLICY_ACTIONS = [
  'iam:CreatePolicy',
  'iam:CreatePolicyVersion',
  'iam:DeletePolicy',
  'iam:DeletePolicyVersion',
  'iam:GetPolicyVersion',
  'iam:ListPolicyVersions',
  'iam:TagPolicy',
];

/** Event source mapping calls name a mapping (by UUID) or nothing, not the function's ARN. */
const MAPPING_ACTIONS = [
  'lambda:CreateEventSourceMapping',
  'lambda:DeleteEventSourceMapping',
  'lambda:ListEventSourceMappings',
  'lambda:UpdateEventSourceMapping',
];

/**
 * src/aws/install-scale-policies.ts: moving scaling policies from alarms' tags to their services' tags
 * (DescribeAlarms, the alarm's ListTagsForResource and UntagResource; the service's ListTagsForResource and
 * TagResource; DescribeServices is in INSTALL_DISCOVERY_ACTIONS).
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html
 */
export const POLICY_MOVE_ALARM_ACTIONS = ['cloudwatch:DescribeAlarms', 'cloudwatch:ListTagsForResource', 'cloudwatch:UntagResource'];
export const POLICY_MOVE_SERVICE_ACTIONS = ['ecs:ListTagsForResource', 'ecs:TagResource'];

/** ECS reads install makes to find the task and execution roles the worker may pass. */
export const INSTALL_DISCOVERY_ACTIONS = ['ecs:DescribeServices', 'ecs:DescribeTaskDefinition', 'ecs:ListClusters', 'ecs:ListServices'];

interface Statement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[] | string;
  readonly Resource: readonly string[] | string;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** What running `install` and `uninstall` with `--name <name>` needs, with REGION and ACCOUNT left for the reader. */
export function installCallerPolicy(name = 'ecs-roll'): { Version: '2012-10-17'; Statement: Statement[] } {
  const names = installNames(name);
  const actions = new Set(Object.values(INSTALL_COMMAND_ACTIONS).flat());
  const of = (prefix: string, except: readonly string[] = []) =>
    [...actions].filter((action) => action.startsWith(prefix) && !except.includes(action)).sort();
  // The worker's role and the receiver's own.
  const role = [`arn:aws:iam::ACCOUNT:role/${names.role}`, `arn:aws:iam::ACCOUNT:role/${names.receiverRole}`];
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'DiscoverTaskRoles', Effect: 'Allow', Action: [...INSTALL_DISCOVERY_ACTIONS], Resource: '*' },
      { Sid: 'Role', Effect: 'Allow', Action: of('iam:', ['iam:PassRole', ...POLICY_ACTIONS, 'iam:ListPolicies']), Resource: role },
      { Sid: 'ManagedPolicies', Effect: 'Allow', Action: [...POLICY_ACTIONS], Resource: `arn:aws:iam::ACCOUNT:policy/ecs-roll/${name}/*` },
      {
        Sid: 'PassRoleToLambda',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: role,
        Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
      },
      { Sid: 'Functions', Effect: 'Allow', Action: of('lambda:', MAPPING_ACTIONS), Resource: `arn:aws:lambda:REGION:ACCOUNT:function:${name}-*` },
      { Sid: 'Mappings', Effect: 'Allow', Action: [...MAPPING_ACTIONS], Resource: '*' },
      { Sid: 'Queues', Effect: 'Allow', Action: of('sqs:'), Resource: `arn:aws:sqs:REGION:ACCOUNT:${name}-*` },
      {
        Sid: 'Api',
        Effect: 'Allow',
        Action: of('apigateway:'),
        Resource: ['arn:aws:apigateway:REGION::/restapis', 'arn:aws:apigateway:REGION::/restapis/*', 'arn:aws:apigateway:REGION::/tags/*'],
      },
      {
        Sid: 'LogGroups',
        Effect: 'Allow',
        Action: of('logs:', ['logs:DescribeLogGroups']),
        Resource: `arn:aws:logs:REGION:ACCOUNT:log-group:/aws/lambda/${name}-*`,
      },
      { Sid: 'EcrPushRule', Effect: 'Allow', Action: of('events:'), Resource: `arn:aws:events:REGION:ACCOUNT:rule/${ecrRuleName(name)}` },
      { Sid: 'Topic', Effect: 'Allow', Action: of('sns:', ['sns:ListTopics']), Resource: `arn:aws:sns:REGION:ACCOUNT:${names.topic}` },
      { Sid: 'NotifyUrls', Effect: 'Allow', Action: of('ssm:'), Resource: `arn:aws:ssm:REGION:ACCOUNT:parameter/ecs-roll/${name}/*` },
      { Sid: 'MoveScalingPolicies', Effect: 'Allow', Action: [...POLICY_MOVE_ALARM_ACTIONS], Resource: 'arn:aws:cloudwatch:REGION:ACCOUNT:alarm:*' },
      { Sid: 'ScalingPolicyTags', Effect: 'Allow', Action: [...POLICY_MOVE_SERVICE_ACTIONS], Resource: 'arn:aws:ecs:REGION:ACCOUNT:service/*' },
      // These list the account's managed policies, log groups and topics; they take no narrower resource.
      { Sid: 'List', Effect: 'Allow', Action: ['iam:ListPolicies', 'logs:DescribeLogGroups', 'sns:ListTopics'], Resource: '*' },
    ],
  };
}
