import { classifyFailure, type DiagnosisCause } from './diagnosis.js';
import { formatVersion, tryParseImageReference, type ImageReference } from './image-ref.js';
import { revisionName } from './model.js';
import { recordedPushTime, type ObservedState } from './plan.js';

export const STATUS_VERSION = 1;

export interface StatusService {
  readonly cluster: string;
  readonly service: string;
  /** `family:N` of the service's current task definition. */
  readonly revision: string;
  readonly running: number;
  readonly desired: number;
  /** The rollout state of the service's newest deployment: IN_PROGRESS, COMPLETED or FAILED (or none reported). */
  readonly deployment: string;
  /** When the newest deployment FAILED: the cause read from its reason and the service's events (no extra call). */
  readonly cause?: DiagnosisCause;
  /** `ecs-roll:pushed-at` of the running revision, ISO 8601. */
  readonly pushedAt?: string;
}

export interface StatusGroup {
  /** The tag, the digest (`sha256:…`), or `(no tag)` the services' containers run. */
  readonly version: string;
  readonly services: readonly StatusService[];
}

export interface StatusDocument {
  readonly kind: 'status';
  readonly version: typeof STATUS_VERSION;
  readonly image: string;
  readonly repository: string;
  readonly groups: readonly StatusGroup[];
  /** Services looked at that do not run the repository. */
  readonly otherServices: number;
}

interface ContainerLike {
  readonly image?: unknown;
}

/** Every service whose current task definition runs the repository, grouped by the version it runs. */
export function buildStatus(state: ObservedState, image: ImageReference): StatusDocument {
  const groups = new Map<string, StatusService[]>();
  let otherServices = 0;
  for (const service of state.services) {
    const definition = state.taskDefinitions[service.taskDefinitionArn];
    const containers = (definition?.definition.containerDefinitions ?? []) as readonly ContainerLike[];
    const versions = containers
      .map((container) => tryParseImageReference(typeof container.image === 'string' ? container.image : undefined))
      .filter((reference): reference is ImageReference => reference !== undefined && reference.repository === image.repository)
      .map((reference) => (reference.tag === undefined && reference.digest === undefined ? '(no tag)' : formatVersion(reference)));
    if (versions.length === 0) {
      otherServices += 1;
      continue;
    }
    const newest = service.deployments.find((deployment) => deployment.status === 'PRIMARY') ?? service.deployments[0];
    const failed = service.deployments.find((deployment) => deployment.rolloutState === 'FAILED');
    const pushedAt = definition === undefined ? undefined : recordedPushTime(definition);
    const entry: StatusService = {
      cluster: service.clusterName,
      service: service.serviceName,
      revision: revisionName(service.taskDefinitionArn),
      running: service.runningCount,
      desired: service.desiredCount,
      deployment: failed?.rolloutState ?? newest?.rolloutState ?? 'none',
      ...(failed === undefined
        ? {}
        : {
            cause: classifyFailure({
              ending: 'failed',
              ...(failed.rolloutStateReason === undefined ? {} : { reason: failed.rolloutStateReason }),
              stoppedTasks: [],
              events: service.events.map((event) => event.message),
              targetHealth: [],
              logTails: [],
            }).cause,
          }),
      ...(pushedAt === undefined ? {} : { pushedAt: new Date(pushedAt * 1000).toISOString() }),
    };
    // A task definition running two versions of one repository is listed under each.
    for (const version of new Set(versions)) groups.set(version, [...(groups.get(version) ?? []), entry]);
  }
  const byName = (a: StatusService, b: StatusService) => `${a.cluster}/${a.service}`.localeCompare(`${b.cluster}/${b.service}`);
  return {
    kind: 'status',
    version: STATUS_VERSION,
    image: image.original,
    repository: image.repository,
    groups: [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([version, services]) => ({ version, services: services.sort(byName) })),
    otherServices,
  };
}

/** The compact table a terminal shows. */
export function statusLines(document: StatusDocument): string[] {
  if (document.groups.length === 0) {
    return [`Nothing runs ${document.repository} (${document.otherServices} service${document.otherServices === 1 ? '' : 's'} looked at).`];
  }
  const lines: string[] = [];
  const total = document.groups.reduce((sum, group) => sum + group.services.length, 0);
  lines.push(
    `${document.repository}: ${total} service${total === 1 ? '' : 's'} on ${document.groups.length} version${document.groups.length === 1 ? '' : 's'}`,
  );
  for (const group of document.groups) {
    lines.push('', `${group.version}`);
    const rows = group.services.map((service) => [
      `${service.cluster}/${service.service}`,
      service.revision,
      `${service.running}/${service.desired}`,
      service.cause === undefined ? service.deployment : `${service.deployment} (${service.cause})`,
      service.pushedAt ?? '-',
    ]);
    const header = ['service', 'revision', 'running', 'deployment', 'pushed at'];
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
    for (const row of [header, ...rows])
      lines.push(
        `  ${row
          .map((cell, column) => cell.padEnd(widths[column] ?? 0))
          .join('  ')
          .trimEnd()}`,
      );
  }
  return lines;
}
