/**
 * `install --source`: which pushes reach the worker. Docker Hub's webhooks come through the REST API
 * and the receiver; ECR's pushes come as "ECR Image Action" events on the account's default event bus,
 * through an EventBridge rule that targets the worker, so they need no public endpoint.
 * Event shape: https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 * Pure: the rule's name and pattern, the sources, and which planned actions belong to the API.
 */
import { UsageError } from './errors.js';
import type { InstallAction } from './install-plan.js';

export const INSTALL_SOURCES = ['dockerhub', 'ecr'] as const;
export type InstallSource = (typeof INSTALL_SOURCES)[number];
export const DEFAULT_SOURCES: readonly InstallSource[] = ['dockerhub'];

/** Where the functions' environment keeps the sources, so that a re-run keeps them unless given again. */
export const SOURCES_ENV = 'ECS_ROLL_SOURCES';
/** Fixed, so that running install again finds the worker's statement for the rule instead of adding another. */
export const EVENTS_PERMISSION_STATEMENT_ID = 'ecs-roll-eventbridge-invoke';
export const EVENTS_PRINCIPAL = 'events.amazonaws.com';
/** The rule's only target. */
export const ECR_TARGET_ID = 'worker';

/** `--source dockerhub,ecr`, `--source ecr --source dockerhub`: a set in a fixed order; anything else is a usage error. */
export function parseSources(values: readonly string[]): InstallSource[] {
  const given = values
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
  if (given.length === 0) throw new UsageError(`--source takes ${INSTALL_SOURCES.join(' and/or ')}`);
  for (const value of given) {
    if (!(INSTALL_SOURCES as readonly string[]).includes(value)) {
      throw new UsageError(`--source takes ${INSTALL_SOURCES.join(' and/or ')}, got ${JSON.stringify(value)}`);
    }
  }
  return INSTALL_SOURCES.filter((source) => given.includes(source));
}

/** The sources an install's environment names; undefined when it names none that read back. */
export function installedSources(environment: Readonly<Record<string, string>> | undefined): InstallSource[] | undefined {
  const text = environment?.[SOURCES_ENV];
  if (text === undefined) return undefined;
  try {
    return parseSources([text]);
  } catch {
    return undefined;
  }
}

export function ecrRuleName(install: string): string {
  return `${install}-ecr-push`;
}

export function ecrRuleArn(at: { region: string; account: string; partition: string }, install: string): string {
  return `arn:${at.partition}:events:${at.region}:${at.account}:rule/${ecrRuleName(install)}`;
}

/** `123456789012.dkr.ecr.eu-west-1.amazonaws.com`: the host of a private ECR registry, with its account and region. */
const ECR_HOST = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/**
 * The ECR repository names (as the event's `repository-name` has them) of the allow-list entries that
 * are ECR URIs of this region; the rule sees only this account's and region's default bus.
 */
export function ecrRepositoryNames(repositories: readonly string[], region: string): string[] {
  const names = new Set<string>();
  for (const repository of repositories) {
    const slash = repository.indexOf('/');
    if (slash < 0) continue;
    const host = ECR_HOST.exec(repository.slice(0, slash));
    if (host === null || host[2] !== region) continue;
    names.add(repository.slice(slash + 1));
  }
  return [...names].sort();
}

/** Successful pushes to these repositories: the event pattern fields as ECR documents them. */
export function ecrEventPattern(repositoryNames: readonly string[]): Record<string, unknown> {
  return {
    source: ['aws.ecr'],
    'detail-type': ['ECR Image Action'],
    detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': [...repositoryNames] },
  };
}

/** The actions that build or change the REST API and the receiver's permission for it: not wanted without Docker Hub. */
export function withoutWebhookApi(actions: readonly InstallAction[], apiPermissionStatementId: string): InstallAction[] {
  const apiKinds = new Set<InstallAction['kind']>([
    'create-rest-api',
    'create-resource',
    'put-method',
    'put-integration',
    'create-deployment',
    'update-stage-throttling',
  ]);
  return actions.filter((action) => {
    if (apiKinds.has(action.kind)) return false;
    if ((action.kind === 'add-permission' || action.kind === 'remove-permission') && action.statementId === apiPermissionStatementId) return false;
    return true;
  });
}
