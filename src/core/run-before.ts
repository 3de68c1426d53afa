import { UsageError } from './errors.js';
import type { CapacityProviderStrategyItem, ServiceSnapshot, TaskDefinitionSnapshot } from './model.js';
import type { ObservedState, PlannedService } from './plan.js';

/**
 * `--run-before 'service=web,container=app,command=bin/migrate --safe'`: a one-off task run from the
 * revision this rollout registers for the service's family, before any service moves.
 */
export interface RunBeforeSpec {
  /** The spec as given, for messages and reports. */
  readonly text: string;
  /** Set when the spec names `cluster/service`. */
  readonly cluster?: string;
  readonly service: string;
  readonly container: string;
  readonly command: readonly string[];
}

const SPEC_KEYS = ['service', 'container', 'command'] as const;

/**
 * Splits a command line as a POSIX shell splits words, without any expansion: whitespace separates
 * words; 'single quotes' keep everything literally; "double quotes" keep everything but let a backslash
 * escape `"`, `\`, `$` and `` ` ``; outside quotes a backslash keeps the next character literally.
 * No variables, globs, pipes or redirections: the words go to the container as they are written.
 */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index] as string;
    if (char === "'") {
      const end = text.indexOf("'", index + 1);
      if (end < 0) throw new UsageError(`unterminated single quote in command ${JSON.stringify(text)}`);
      word += text.slice(index + 1, end);
      inWord = true;
      index = end;
    } else if (char === '"') {
      inWord = true;
      let closed = false;
      for (index += 1; index < text.length; index += 1) {
        const inner = text[index] as string;
        if (inner === '"') {
          closed = true;
          break;
        }
        const next = text[index + 1];
        if (inner === '\\' && next !== undefined && '"\\$`'.includes(next)) {
          word += next;
          index += 1;
        } else word += inner;
      }
      if (!closed) throw new UsageError(`unterminated double quote in command ${JSON.stringify(text)}`);
    } else if (char === '\\') {
      const next = text[index + 1];
      if (next === undefined) throw new UsageError(`command ${JSON.stringify(text)} ends with a lone backslash`);
      word += next;
      inWord = true;
      index += 1;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * Parses one spec. `command=` takes the rest of the spec, commas included, so it comes last;
 * `service` may be `cluster/service` when several clusters hold a service of that name.
 */
export function parseRunBeforeSpec(text: string): RunBeforeSpec {
  const fields = new Map<string, string>();
  let rest = text.trim();
  const usage = `expected service=NAME,container=NAME,command=COMMAND`;
  while (rest !== '') {
    const equals = rest.indexOf('=');
    if (equals < 0) throw new UsageError(`--run-before ${JSON.stringify(text)}: ${JSON.stringify(rest)} is not key=value; ${usage}`);
    const key = rest.slice(0, equals).trim();
    if (!(SPEC_KEYS as readonly string[]).includes(key)) {
      throw new UsageError(`--run-before ${JSON.stringify(text)}: unknown key ${JSON.stringify(key)}; ${usage}`);
    }
    if (fields.has(key)) throw new UsageError(`--run-before ${JSON.stringify(text)}: ${key} is given twice`);
    if (key === 'command') {
      fields.set(key, rest.slice(equals + 1));
      break;
    }
    const comma = rest.indexOf(',', equals);
    fields.set(key, (comma < 0 ? rest.slice(equals + 1) : rest.slice(equals + 1, comma)).trim());
    rest = comma < 0 ? '' : rest.slice(comma + 1).trim();
  }
  for (const key of SPEC_KEYS) {
    if ((fields.get(key) ?? '').trim() === '') throw new UsageError(`--run-before ${JSON.stringify(text)}: ${key} is missing; ${usage}`);
  }
  const command = splitShellWords(fields.get('command') ?? '');
  if (command.length === 0 || command[0] === '') throw new UsageError(`--run-before ${JSON.stringify(text)}: the command is empty`);
  const named = fields.get('service') as string;
  const slash = named.indexOf('/');
  if (slash === 0 || slash === named.length - 1 || named.indexOf('/', slash + 1) >= 0) {
    throw new UsageError(`--run-before ${JSON.stringify(text)}: service must be NAME or CLUSTER/NAME, got ${JSON.stringify(named)}`);
  }
  return {
    text,
    ...(slash > 0 ? { cluster: named.slice(0, slash) } : {}),
    service: slash > 0 ? named.slice(slash + 1) : named,
    container: fields.get('container') as string,
    command,
  };
}

/** How the task is launched: as its service launches tasks, so it reaches what the service reaches. */
export interface RunLaunch {
  readonly launchType?: string;
  readonly capacityProviderStrategy?: readonly CapacityProviderStrategyItem[];
  readonly platformVersion?: string;
  readonly networkConfiguration?: Readonly<Record<string, unknown>>;
}

/** Where a container's awslogs output goes; the stream is `prefix/container/task-id`. */
export interface RunLogLocation {
  readonly container: string;
  readonly group: string;
  readonly streamPrefix: string;
  readonly region?: string;
}

export interface PlannedRun {
  /** 1-based position: runs go one after another in this order. */
  readonly step: number;
  readonly spec: string;
  readonly cluster: string;
  readonly clusterArn: string;
  readonly service: string;
  readonly container: string;
  readonly command: readonly string[];
  readonly family: string;
  /** The plan's registration (by source ARN) whose new revision the task runs. */
  readonly registration?: string;
  /** Set when nothing is run: the service does not move in this rollout. */
  readonly skipReason?: string;
  readonly launch: RunLaunch;
  /** Essential containers of the revision: every one must exit 0. */
  readonly essentialContainers: readonly string[];
  readonly logs: readonly RunLogLocation[];
}

interface ContainerDefinitionLike {
  readonly name?: unknown;
  readonly essential?: unknown;
  readonly logConfiguration?: { readonly logDriver?: unknown; readonly options?: Readonly<Record<string, unknown>> };
}

function containersOf(definition: TaskDefinitionSnapshot): ContainerDefinitionLike[] {
  const containers = definition.definition.containerDefinitions;
  return Array.isArray(containers) ? (containers as ContainerDefinitionLike[]) : [];
}

function logLocations(definition: TaskDefinitionSnapshot): RunLogLocation[] {
  return containersOf(definition).flatMap((container) => {
    const options = container.logConfiguration?.options ?? {};
    const group = options['awslogs-group'];
    const prefix = options['awslogs-stream-prefix'];
    const region = options['awslogs-region'];
    if (container.logConfiguration?.logDriver !== 'awslogs' || typeof container.name !== 'string') return [];
    // Without a prefix the stream is named after the Docker container id, which the API does not report.
    if (typeof group !== 'string' || typeof prefix !== 'string') return [];
    return [{ container: container.name, group, streamPrefix: prefix, ...(typeof region === 'string' ? { region } : {}) }];
  });
}

function launchOf(service: ServiceSnapshot): RunLaunch {
  // RunTask takes a capacity provider strategy or a launch type, never both (API_RunTask.html).
  return {
    ...(service.capacityProviderStrategy !== undefined && service.capacityProviderStrategy.length > 0
      ? { capacityProviderStrategy: service.capacityProviderStrategy }
      : service.launchType !== undefined
        ? { launchType: service.launchType }
        : {}),
    ...(service.platformVersion === undefined ? {} : { platformVersion: service.platformVersion }),
    ...(service.networkConfiguration === undefined ? {} : { networkConfiguration: service.networkConfiguration }),
  };
}

export interface RunBeforeOptions {
  /**
   * Webhook mode: one configuration serves pushes of every repository, so a spec naming a service that
   * this image does not run is left out instead of refused.
   */
  readonly ignoreOtherImages?: boolean;
}

/**
 * Places each spec in the plan: which new revision, cluster and network the task uses. Refuses (usage,
 * before any change) a spec whose service is not among those the image runs, or whose container the
 * task definition does not have.
 */
export function planRunsBefore(
  services: readonly PlannedService[],
  state: ObservedState,
  specs: readonly RunBeforeSpec[],
  options: RunBeforeOptions = {},
): PlannedRun[] {
  const runs: PlannedRun[] = [];
  for (const spec of specs) {
    const named = spec.cluster === undefined ? spec.service : `${spec.cluster}/${spec.service}`;
    const matches = (candidate: { cluster: string; service: string }) =>
      candidate.service === spec.service && (spec.cluster === undefined || candidate.cluster === spec.cluster);
    const planned = services.filter(matches);
    if (planned.length === 0) {
      if (options.ignoreOtherImages === true) continue;
      const exists = state.services.some((service) => matches({ cluster: service.clusterName, service: service.serviceName }));
      throw new UsageError(
        exists
          ? `--run-before ${JSON.stringify(spec.text)}: service ${named} does not run this image, so this rollout registers no revision for it`
          : `--run-before ${JSON.stringify(spec.text)}: no service ${named} among the services looked at`,
      );
    }
    if (planned.length > 1) {
      throw new UsageError(
        `--run-before ${JSON.stringify(spec.text)}: service ${spec.service} is in several clusters (${planned.map((p) => p.cluster).join(', ')}); write service=CLUSTER/${spec.service}`,
      );
    }
    const target = planned[0] as PlannedService;
    const snapshot = state.services.find((service) => service.clusterArn === target.clusterArn && service.serviceName === target.service);
    const definition = state.taskDefinitions[target.taskDefinitionArn];
    if (snapshot === undefined || definition === undefined) throw new Error(`plan names ${named}, which the observed state lacks`);
    const containers = containersOf(definition);
    if (!containers.some((container) => container.name === spec.container)) {
      throw new UsageError(
        `--run-before ${JSON.stringify(spec.text)}: ${definition.family}:${definition.revision} has no container ${JSON.stringify(spec.container)} (it has ${containers.map((c) => String(c.name)).join(', ')})`,
      );
    }
    const skipReason =
      target.action === 'update' ? undefined : `${named} does not move in this rollout (${target.reason ?? target.action}); nothing is run for it`;
    runs.push({
      step: runs.length + 1,
      spec: spec.text,
      cluster: target.cluster,
      clusterArn: target.clusterArn,
      service: target.service,
      container: spec.container,
      command: spec.command,
      family: definition.family,
      ...(target.action === 'update' && target.registration !== undefined ? { registration: target.registration } : {}),
      ...(skipReason === undefined ? {} : { skipReason }),
      launch: launchOf(snapshot),
      // ECS treats a container without `essential` as essential.
      essentialContainers: containers.filter((c) => c.essential !== false && typeof c.name === 'string').map((c) => c.name as string),
      logs: logLocations(definition),
    });
  }
  return runs;
}
