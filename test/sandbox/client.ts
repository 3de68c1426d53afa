// Talks to the sandbox's control routes (/_sandbox/...) over fetch, so a test
// file that only has the endpoint (sandboxEndpoint(), ./endpoint.ts) can reset it and
// read what the scheduler and the API saw.

/** One ECS (or other) API call the sandbox served since the last reset. */
export interface SandboxCall {
  /** Epoch seconds. */
  t: number;
  /** The operation, e.g. "DescribeServices". */
  action: string;
  /** The request's `cluster` parameter, when it had one. */
  cluster?: string;
  /** For non-ECS JSON APIs: the X-Amz-Target prefix. */
  service?: string;
}

/** The scheduler's view of one service at the end of one tick. */
export interface RecordEntry {
  /** Epoch seconds. */
  t: number;
  tick: number;
  cluster: string;
  service: string;
  desired: number;
  /** Tasks RUNNING, of any revision. */
  running: number;
  /** Tasks RUNNING that belong to the PRIMARY deployment. */
  runningPrimary: number;
  pending: number;
  minimumHealthyPercent: number;
  maximumPercent: number;
  primaryTaskDefinition: string;
  primaryRolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  /** How many deployments the service lists. */
  deployments: number;
}

export interface SandboxConfig {
  tick?: number;
  paused?: boolean;
  /** Registry → base URL the sandbox's ECS asks for the digests of new tasks (registry_digests.py). */
  registries?: Record<string, string>;
  /** A second RegisterTaskDefinition of a family this soon after the last one is refused as ECS does (0: off). */
  registrationConflictSeconds?: number;
  /** Refuse the next n RegisterTaskDefinition calls of these families with ECS's conflict ({family: n}). */
  busyFamilies?: Record<string, number>;
  /** Real seconds per AWS second for Lambda's async queue: retry delays and event ages (default 0.01). */
  timeFactor?: number;
  /** Extra top-level fields DescribeTaskDefinition answers, as a newer ECS would ({} : none). */
  unmodelledTaskDefinitionFields?: Record<string, unknown>;
  /**
   * Real seconds per ECS second for ECS's deliberate waits (bake time, traffic steps, target and container health
   * checks, the 40 s grace); 1 = real time, 0 (the default) = the next tick. Lambda's queue has `timeFactor`.
   */
  ecsTimeFactor?: number;
  /**
   * A deployment the circuit breaker rolls back leaves the service's `deployments` at once (strategies.py), as it
   * does once ECS has rolled back: a poll then finds it gone, and only ECS's service deployment record says why.
   */
  dropFailedDeployments?: boolean;
  /** Off: accept aws: tags and more than 50, to seed what AWS itself can create. */
  enforceTagLimits?: boolean;
}

export interface SandboxControl {
  /**
   * Clear moto, the scheduler, the call log and the record; the tick goes back to its start value, unpaused
   * unless `paused` is set, which pauses in the same step (no background tick can slip in between).
   */
  reset(options?: { paused?: boolean }): Promise<void>;
  calls(): Promise<SandboxCall[]>;
  clearCalls(): Promise<void>;
  record(): Promise<RecordEntry[]>;
  config(config: SandboxConfig): Promise<{ tick: number; paused: boolean; registrationConflicts?: number } & Record<string, unknown>>;
  /** Run one scheduler tick now (works with the scheduler thread off or paused). */
  tick(): Promise<void>;
}

async function control(endpoint: string, method: 'GET' | 'POST', route: string, body?: unknown): Promise<unknown> {
  const url = `${endpoint.replace(/\/+$/, '')}/_sandbox/${route}`;
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const response = await fetch(url, init);
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`sandbox ${method} ${route} answered ${response.status}: ${text}`);
  }
  return JSON.parse(text) as unknown;
}

export function sandboxControl(endpoint: string): SandboxControl {
  return {
    async reset(options) {
      await control(endpoint, 'POST', 'reset', options?.paused === true ? { paused: true } : undefined);
    },
    async calls() {
      return ((await control(endpoint, 'GET', 'calls')) as { calls: SandboxCall[] }).calls;
    },
    async clearCalls() {
      await control(endpoint, 'POST', 'calls/clear');
    },
    async record() {
      return ((await control(endpoint, 'GET', 'record')) as { record: RecordEntry[] }).record;
    },
    async config(config) {
      return (await control(endpoint, 'POST', 'config', config)) as Awaited<ReturnType<SandboxControl['config']>>;
    },
    async tick() {
      await control(endpoint, 'POST', 'tick');
    },
  };
}
