/**
 * What an install is called: every name and fixed identifier install and uninstall use, derived
 * from `--name` alone, so a re-run and `uninstall` find exactly what the first run made.
 */
import { dnsSuffix, partitionOf, type Location } from './arn.js';

/** Every resource install creates carries this tag, with the install's name as its value. */
export const INSTALL_TAG = 'ecs-roll:install';
/** A name fragment valid in IAM role names, Lambda function names and log group names. */
export const INSTALL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,40}$/;
/** API Gateway stage names: letters, digits, hyphens, underscores, at most 128. */
export const STAGE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
/** ECS cluster names: letters, digits, hyphens, underscores, at most 255. */
export const CLUSTER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;
export const LOG_RETENTION_DAYS = 30;
/** Fixed, so that running install again finds its statement instead of adding another. */
export const PERMISSION_STATEMENT_ID = 'ecs-roll-apigateway-invoke';
/** The worker's statement for the alarm topic's deliveries; fixed for the same reason. */
export const SNS_PERMISSION_STATEMENT_ID = 'ecs-roll-sns-invoke';
/** The worker's statement for CloudWatch's direct Lambda alarm action; fixed for the same reason. */
export const ALARM_PERMISSION_STATEMENT_ID = 'ecs-roll-cloudwatch-alarm-invoke';
export const SNS_PRINCIPAL = 'sns.amazonaws.com';
export const ALARM_PRINCIPAL = 'lambda.alarms.cloudwatch.amazonaws.com';
/** The principal CloudWatch publishes alarm notifications to SNS topics as. */
export const CLOUDWATCH_PRINCIPAL = 'cloudwatch.amazonaws.com';
export const STAGE_THROTTLING = { rateLimit: 5, burstLimit: 10 } as const;
/** The webhook's route; the last part is the token. */
export const ROUTE_PARTS = ['hooks', 'dockerhub', '{token}'] as const;
export const ROUTE_PATH = `/${ROUTE_PARTS.join('/')}`;
export const ARCHITECTURE = 'arm64';

/** Stand-ins for what only exists once created; the apply step fills them in (and dry-run prints them). */
export const UNKNOWN_ACCOUNT = '<account-id>';
export const UNKNOWN_API_ID = '<api-id>';

export type FunctionRole = 'receiver' | 'worker';
export const FUNCTION_ROLES: readonly FunctionRole[] = ['receiver', 'worker'];

export interface InstallNames {
  readonly install: string;
  /** The worker's role and its inline policy. */
  readonly role: string;
  readonly policy: string;
  /** The receiver's own role (it faces the internet, so it may only hand pushes off and log). */
  readonly receiverRole: string;
  readonly receiverPolicy: string;
  readonly api: string;
  readonly functions: Readonly<Record<FunctionRole, string>>;
  readonly logGroups: Readonly<Record<FunctionRole, string>>;
  /** The SNS topic that alarms notify; `scale policy` finds it by this name (the ARN's last segment). */
  readonly topic: string;
}

export function installNames(name: string): InstallNames {
  const functions = { receiver: `${name}-receiver`, worker: `${name}-worker` };
  return {
    install: name,
    role: name,
    policy: `${name}-policy`,
    receiverRole: `${name}-receiver`,
    receiverPolicy: `${name}-receiver-policy`,
    api: name,
    functions,
    logGroups: { receiver: `/aws/lambda/${functions.receiver}`, worker: `/aws/lambda/${functions.worker}` },
    topic: `${name}-alarms`,
  };
}

export function integrationUri(region: string, receiverArn: string): string {
  return `arn:${partitionOf(region)}:apigateway:${region}:lambda:path/2015-03-31/functions/${receiverArn}/invocations`;
}

export function permissionSourceArn(at: Location, apiId: string): string {
  return `arn:${partitionOf(at.region)}:execute-api:${at.region}:${at.account}:${apiId}/*/POST/hooks/dockerhub/*`;
}

export function webhookUrl(region: string, apiId: string, stage: string, token: string): string {
  return `https://${apiId}.execute-api.${region}.${dnsSuffix(region)}/${stage}/hooks/dockerhub/${token}`;
}
