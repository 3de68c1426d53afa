// The reliability scenarios, shared by the fast suite (test/integration/reliability.test.ts) and
// the long sweeps (test/stress/): a fleet to seed (the CLI runs as a killable child through spawnCli, test/cli.ts), and a check of the
// fleet's final state that lists what is wrong instead of throwing, so sweeps can count.
import { ListTaskDefinitionsCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { mapConcurrent } from '../../src/core/collections.js';
import { container, createCluster, createService, describeTaskDefinition, registerTaskDefinition, serviceTaskDefinition } from '../ecs.js';
export const TARGET_REPOSITORY = 'acme/web';

export interface FleetSpec {
  readonly clusters: number;
  /** Services running acme/web. */
  readonly webServices: number;
  /** Families of the acme/web task definitions; the first `twoRevisionFamilies` have two revisions in use. */
  readonly webFamilies: number;
  readonly twoRevisionFamilies: number;
  /** Services on other images (look-alikes included), on `otherFamilies` task definitions. */
  readonly otherServices: number;
  readonly otherFamilies: number;
}

/** The fleet: 100 services in 5 clusters, 20 on acme/web in 10 task definitions (7 families), 80 others. */
export const LARGE_FLEET: FleetSpec = { clusters: 5, webServices: 20, webFamilies: 7, twoRevisionFamilies: 3, otherServices: 80, otherFamilies: 16 };
/** The kill sweep's fleet: 20 services in 2 clusters on 4 task definitions, nothing else. */
export const KILL_FLEET: FleetSpec = { clusters: 2, webServices: 20, webFamilies: 4, twoRevisionFamilies: 0, otherServices: 0, otherFamilies: 0 };

export interface SeededService {
  readonly cluster: string;
  readonly service: string;
  readonly source: string;
  readonly web: boolean;
}

export interface Fleet {
  readonly services: readonly SeededService[];
  /** Family → its revisions before the rollout. */
  readonly revisionsBefore: ReadonlyMap<string, number>;
  /** Family → how many distinct acme/web source revisions it has in use (each wants one new revision). */
  readonly webSources: ReadonlyMap<string, number>;
}

const OTHER_IMAGES = [
  'acme/worker:1.0',
  'acme/webhook:1.0',
  'nginx:1.25',
  'redis:7',
  'acme2/web:1.0',
  '123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/web:1.0',
];

/** Registers the task definitions in a fixed order (so revision numbers repeat) and creates the services. */
export async function seedFleet(ecs: ECSClient, spec: FleetSpec): Promise<Fleet> {
  const clusters = Array.from({ length: spec.clusters }, (_, index) => `c${index}`);
  await Promise.all(clusters.map((cluster) => createCluster(ecs, cluster)));

  const webDefinitions: string[] = [];
  const revisionsBefore = new Map<string, number>();
  const webSources = new Map<string, number>();
  for (let family = 0; family < spec.webFamilies; family += 1) {
    const name = `web-${family}`;
    const revisions = family < spec.twoRevisionFamilies ? 2 : 1;
    for (let revision = 1; revision <= revisions; revision += 1) {
      // Some keep a sidecar that must not move; the revisions of one family differ in an environment value.
      const containers = [container('web', `acme/web:1.0`, { environment: [{ name: 'VARIANT', value: String(revision) }] })];
      if (family % 2 === 1) containers.push(container('proxy', 'nginx:1.25'));
      webDefinitions.push(await registerTaskDefinition(ecs, name, containers, { tags: [{ key: 'team', value: `t${family}` }] }));
    }
    revisionsBefore.set(name, revisions);
    webSources.set(name, revisions);
  }
  const otherDefinitions: string[] = [];
  for (let family = 0; family < spec.otherFamilies; family += 1) {
    const name = `other-${family}`;
    otherDefinitions.push(await registerTaskDefinition(ecs, name, [container('app', OTHER_IMAGES[family % OTHER_IMAGES.length] ?? 'busybox:1')]));
    revisionsBefore.set(name, 1);
  }

  const services: SeededService[] = [];
  for (let index = 0; index < spec.webServices; index += 1) {
    // Consecutive services share a task definition and land in different clusters.
    const source = webDefinitions[index % webDefinitions.length] ?? '';
    services.push({ cluster: clusters[index % clusters.length] ?? 'c0', service: `web-svc-${index}`, source, web: true });
  }
  for (let index = 0; index < spec.otherServices; index += 1) {
    const source = otherDefinitions[index % otherDefinitions.length] ?? '';
    services.push({ cluster: clusters[index % clusters.length] ?? 'c0', service: `other-svc-${index}`, source, web: false });
  }
  await mapConcurrent(services, 8, (service) => createService(ecs, service.cluster, service.service, service.source, { launchType: 'FARGATE' }));
  return { services, revisionsBefore, webSources };
}

/** The revisions of exactly this family (familyPrefix also matches web-10 for web-1). */
export async function familyRevisions(ecs: ECSClient, family: string): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, nextToken }));
    arns.push(...(page.taskDefinitionArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return arns.filter((arn) => arn.split('/').pop()?.split(':')[0] === family);
}

/** Each service's revision (family:N) and container images: what "the same final state" compares. */
export type FleetState = Record<string, { revision: string; images: Record<string, string> }>;

export async function fleetState(ecs: ECSClient, fleet: Fleet): Promise<FleetState> {
  const images = new Map<string, Promise<Record<string, string>>>();
  const entries = await mapConcurrent(fleet.services, 8, async (service) => {
    const arn = await serviceTaskDefinition(ecs, service.cluster, service.service);
    let described = images.get(arn);
    if (described === undefined) {
      described = describeTaskDefinition(ecs, arn).then((answer) =>
        Object.fromEntries((answer.taskDefinition?.containerDefinitions ?? []).map((c) => [c.name ?? '', c.image ?? ''])),
      );
      images.set(arn, described);
    }
    return [`${service.cluster}/${service.service}`, { revision: arn.split('/').pop() ?? arn, images: await described }] as const;
  });
  return Object.fromEntries(entries);
}

/**
 * What is wrong with the fleet after rolling acme/web to `tag`: a service on acme/web not on a new
 * revision running the tag (its sidecars unchanged), services of one source on different new revisions,
 * another service moved, or a family with other than one new revision per source. Empty when all is right.
 */
export async function fleetProblems(ecs: ECSClient, fleet: Fleet, tag: string): Promise<string[]> {
  const problems: string[] = [];
  const state = await fleetState(ecs, fleet);
  const newBySource = new Map<string, string>();
  for (const service of fleet.services) {
    const name = `${service.cluster}/${service.service}`;
    const now = state[name];
    const source = service.source.split('/').pop() ?? '';
    if (now === undefined) {
      problems.push(`${name}: not described`);
      continue;
    }
    if (!service.web) {
      if (now.revision !== source) problems.push(`${name}: moved from ${source} to ${now.revision}, but it does not run ${TARGET_REPOSITORY}`);
      continue;
    }
    if (now.revision === source) {
      problems.push(`${name}: still on ${source}`);
      continue;
    }
    const family = source.split(':')[0] ?? '';
    const expected: Record<string, string> = {
      web: `${TARGET_REPOSITORY}:${tag}`,
      ...(now.images['proxy'] === undefined ? {} : { proxy: 'nginx:1.25' }),
    };
    if (
      JSON.stringify(now.images) !== JSON.stringify(expected) ||
      now.revision.split(':')[0] !== family ||
      (Number(family.split('-')[1]) % 2 === 1) !== 'proxy' in now.images
    ) {
      problems.push(`${name}: on ${now.revision} with ${JSON.stringify(now.images)}`);
    }
    const shared = newBySource.get(source);
    if (shared === undefined) newBySource.set(source, now.revision);
    else if (shared !== now.revision) problems.push(`${name}: on ${now.revision}, another service of ${source} is on ${shared}`);
  }
  await Promise.all(
    [...fleet.revisionsBefore].map(async ([family, before]) => {
      const after = (await familyRevisions(ecs, family)).length;
      const wanted = before + (fleet.webSources.get(family) ?? 0);
      if (after !== wanted) problems.push(`family ${family}: ${after - before} new revisions, wanted ${wanted - before}`);
    }),
  );
  return problems;
}

/** Sorted numbers' median. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
