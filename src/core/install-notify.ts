/**
 * Where `install --notify` keeps its targets, and what the worker may do with them. Topic ARNs are not
 * secrets: they go into the worker's environment, and its role may sns:Publish to exactly those
 * topics. URLs are: they go into one SSM SecureString parameter that only the worker's role (and
 * whoever administers the account) may read, so the function's configuration, the install report,
 * `--json` and dry-run plans never hold one; they show a URL only as describeTarget does.
 * The parameter is encrypted with Parameter Store's AWS managed key, whose key policy lets every
 * principal in the account decrypt; who may read it is therefore decided by ssm:GetParameter on it.
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-restrict-decryption.html
 */
import { partitionOf, type Location } from './arn.js';
import type { PolicyDocument, PolicyStatement } from './install-iam.js';
import { describeTarget, targetKey, type NotifyTarget } from './notify-target.js';

/** Names the worker reads (src/notify/worker.ts keeps the same two). */
export const NOTIFY_ENV = {
  topics: 'ECS_ROLL_NOTIFY_TOPICS',
  urlsParameter: 'ECS_ROLL_NOTIFY_PARAMETER',
} as const;

/** One parameter per install; a name starting with "/" is a hierarchy, its ARN is `parameter` + name. */
export function notifyParameterName(install: string): string {
  return `/ecs-roll/${install}/notify-urls`;
}

export function notifyParameterArn(at: Location, install: string): string {
  return `arn:${partitionOf(at.region)}:ssm:${at.region}:${at.account}:parameter${notifyParameterName(install)}`;
}

export function topicsOf(targets: readonly NotifyTarget[]): string[] {
  return targets.flatMap((target) => (target.kind === 'sns' ? [target.topicArn] : []));
}

export function urlsOf(targets: readonly NotifyTarget[]): string[] {
  return targets.flatMap((target) => (target.kind === 'url' ? [target.url] : []));
}

/** The worker's environment entries: set only when used, so an install without --notify keeps the environment it had. */
export function notifyEnvironment(install: string, targets: readonly NotifyTarget[]): Record<string, string> {
  const topics = topicsOf(targets);
  return {
    ...(topics.length === 0 ? {} : { [NOTIFY_ENV.topics]: topics.join(',') }),
    ...(urlsOf(targets).length === 0 ? {} : { [NOTIFY_ENV.urlsParameter]: notifyParameterName(install) }),
  };
}

/** sns:Publish on the given topics and ssm:GetParameter on the install's parameter, each only when there is one. */
export function notifyStatements(at: Location, install: string, targets: readonly NotifyTarget[]): PolicyStatement[] {
  const topics = [...new Set(topicsOf(targets))].sort();
  return [
    ...(topics.length === 0 ? [] : [{ Sid: 'PublishNotifications', Effect: 'Allow' as const, Action: 'sns:Publish', Resource: topics }]),
    ...(urlsOf(targets).length === 0
      ? []
      : [{ Sid: 'ReadNotificationUrls', Effect: 'Allow' as const, Action: 'ssm:GetParameter', Resource: notifyParameterArn(at, install) }]),
  ];
}

export function withNotifyStatements(document: PolicyDocument, statements: readonly PolicyStatement[]): PolicyDocument {
  return statements.length === 0 ? document : { ...document, Statement: [...document.Statement, ...statements] };
}

/** The targets as the report shows them: topic ARNs, and each URL's scheme and host only. */
export function shownTargets(targets: readonly NotifyTarget[]): string[] {
  return targets.map(describeTarget);
}

/** "(none)" or the shown targets, comma-separated: the old → new of the report. Two different URLs to one host both show. */
export function showTargets(targets: readonly NotifyTarget[]): string {
  return targets.length === 0 ? '(none)' : shownTargets(targets).join(',');
}

export function sameTargets(a: readonly NotifyTarget[], b: readonly NotifyTarget[]): boolean {
  const keys = (targets: readonly NotifyTarget[]) => JSON.stringify(targets.map(targetKey).sort());
  return keys(a) === keys(b);
}
