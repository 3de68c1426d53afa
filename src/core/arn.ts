/**
 * Amazon Resource Names: the one place that takes them apart and builds the ones install needs.
 * Layout `arn:partition:service:region:account:resource`, where the resource may hold `:` and `/`
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
 */

/** Where a resource lives: enough to build its ARN. */
export interface Location {
  readonly region: string;
  readonly account: string;
}

export interface ParsedArn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  /** Everything after the account: `function:name`, `role/name`, `topic-name`, `service/cluster/name`. */
  readonly resource: string;
}

/** The parts of an ARN, or undefined for anything that is not one. */
export function parseArn(arn: string): ParsedArn | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition = '', service = '', region = '', account = ''] = parts;
  return { partition, service, region, account, resource: parts.slice(5).join(':') };
}

/** `arn:aws:iam::123456789012:role/x` → `123456789012`; undefined when the account is not 12 digits. */
export function accountOfArn(arn: string): string | undefined {
  const account = parseArn(arn)?.account;
  return account !== undefined && /^\d{12}$/.test(account) ? account : undefined;
}

/** The last `:`-separated segment: a topic's or a queue's name (`arn:aws:sns:eu-west-1:1:alarms` → `alarms`). */
export function lastColonSegment(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}

/**
 * A service ARN in the short form, `service/NAME`, which services created before 2021 keep until they are
 * migrated; newer ones are `service/CLUSTER/NAME`. IAM matches the ARN a service has, so a policy written for
 * `service/CLUSTER/*` does not reach a short one.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-arn-migration.html
 */
export function isShortServiceArn(arn: string): boolean {
  const parsed = parseArn(arn);
  return parsed?.service === 'ecs' && /^service\/[^/]+$/.test(parsed.resource);
}

/** The last `/`-separated segment: a role's, task's or service's short name. */
export function lastSlashSegment(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function dnsSuffix(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}

export function functionArn(at: Location, functionName: string): string {
  return `arn:${partitionOf(at.region)}:lambda:${at.region}:${at.account}:function:${functionName}`;
}

export function roleArn(at: Location, roleName: string): string {
  return `arn:${partitionOf(at.region)}:iam::${at.account}:role/${roleName}`;
}

/** Customer managed policies live at `policy/<path><name>`. */
export function managedPolicyArn(at: Location, policyName: string): string {
  return `arn:${partitionOf(at.region)}:iam::${at.account}:policy/${policyName}`;
}

export function topicArn(at: Location, topicName: string): string {
  return `arn:${partitionOf(at.region)}:sns:${at.region}:${at.account}:${topicName}`;
}

export function queueArn(at: Location, queueName: string): string {
  return `arn:${partitionOf(at.region)}:sqs:${at.region}:${at.account}:${queueName}`;
}

export function logGroupArn(at: Location, group: string): string {
  return `arn:${partitionOf(at.region)}:logs:${at.region}:${at.account}:log-group:${group}`;
}
