// A fault-injecting HTTP proxy on loopback, between the CLI's SDK clients (--endpoint-url points
// here) and the sandbox. At a given rate, decided by a seeded PRNG per request, it answers as AWS
// does on a bad day: ThrottlingException, 500, 503, a connection reset (half of them before the
// request reaches the sandbox, half after it took effect there, so only the answer is lost), or a
// delay of 1–3 s before forwarding. It counts every call by action, and can cut a run dead: SIGKILL
// the client process when the k-th mutating call has been answered by the sandbox, before that
// answer is sent, and forward nothing after it. Control routes (/_sandbox/*) pass through untouched.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ListTaskDefinitionsCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { mapConcurrent } from '../../src/core/collections.js';
import {
  container,
  createCluster,
  createService,
  describeTaskDefinition,
  registerTaskDefinition,
  serviceTaskDefinition,
  TEST_ENV,
  type CliRun,
} from '../integration/helpers.js';

export type FaultKind = 'throttle' | 'http500' | 'http503' | 'reset' | 'delay';
/** What happened to one call: a kind, with the reset split by when the socket died. */
export type FaultOutcome = 'ok' | 'throttle' | 'http500' | 'http503' | 'reset-before' | 'reset-after' | 'delay' | 'cut';

export const ALL_FAULT_KINDS: readonly FaultKind[] = ['throttle', 'http500', 'http503', 'reset', 'delay'];

export interface ProxyCall {
  /** Milliseconds since the proxy started. */
  readonly t: number;
  /** X-Amz-Target's suffix, e.g. "RegisterTaskDefinition"; "?" when the request had none. */
  readonly action: string;
  readonly mutating: boolean;
  readonly outcome: FaultOutcome;
  /** Whether the request reached the sandbox (and so may have taken effect). */
  readonly forwarded: boolean;
}

export interface FaultProxyStats {
  readonly total: number;
  readonly faulted: number;
  readonly mutating: number;
  /** Mutating calls the sandbox answered (took effect), whatever the client then got. */
  readonly mutatingForwarded: number;
  readonly byAction: Record<string, { calls: number; faulted: number; mutating: boolean }>;
  readonly byOutcome: Record<string, number>;
  readonly calls: readonly ProxyCall[];
}

export interface CutOptions {
  /** Cut when the sandbox has answered this many mutating calls (1-based). */
  readonly afterMutating: number;
  /** Called at the cut, before the k-th answer would be sent: kill the client here. */
  readonly onCut: () => void;
}

export interface FaultProxyOptions {
  /** The sandbox endpoint, http://127.0.0.1:PORT. */
  readonly target: string;
  /** Share of calls faulted, 0..1. */
  readonly rate: number;
  readonly seed: number;
  /** Which faults to draw from (default: all, equally likely). */
  readonly kinds?: readonly FaultKind[];
  /** Only calls whose action passes this may be faulted (default: every call). */
  readonly faultable?: (action: string) => boolean;
  /** Delay range for the 'delay' kind, ms (default 1000–3000). */
  readonly delayMs?: readonly [number, number];
  readonly cut?: CutOptions;
  /**
   * Overrides the draw for one call when it answers a kind ('reset-before'/'reset-after' pick the
   * moment); 'ok' forces no fault. Called with the action and the request body, in arrival order.
   */
  readonly decide?: (action: string, body: string) => FaultOutcome | undefined;
}

export interface FaultProxy {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  stats(): FaultProxyStats;
  setRate(rate: number): void;
  /** Arm (or disarm, with undefined) a cut; counting of mutating answers restarts at zero. */
  setCut(cut: CutOptions | undefined): void;
  /** Forget the calls so far and re-seed the PRNG. */
  reset(seed?: number): void;
  close(): Promise<void>;
}

const MUTATING = /^(Register|Update|Stop|Create|Delete|Deregister|Tag|Untag)/;

export function isMutating(action: string): boolean {
  return MUTATING.test(action);
}

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function sendJsonError(response: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ __type: type, message });
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': `fault-${Math.random().toString(16).slice(2)}`,
  });
  response.end(body);
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const kinds = options.kinds ?? ALL_FAULT_KINDS;
  const [delayMin, delayMax] = options.delayMs ?? [1000, 3000];
  let rate = options.rate;
  let random = seededRandom(options.seed);
  let cut = options.cut;
  let cutDone = false;
  let mutatingAnswered = 0;
  let calls: ProxyCall[] = [];
  const started = Date.now();
  const sockets = new Set<Socket>();

  /** One draw per call, in arrival order: whether to fault it, which kind, and its parameters. */
  const draw = (action: string, body: Buffer): { kind?: FaultKind; after: boolean; delay: number } => {
    const roll = random();
    const pick = random();
    const extra = random();
    const decided = options.decide?.(action, body.toString('utf8'));
    if (decided !== undefined && decided !== 'cut') {
      if (decided === 'ok') return { after: false, delay: 0 };
      const kind: FaultKind = decided === 'reset-before' || decided === 'reset-after' ? 'reset' : decided;
      return { kind, after: decided === 'reset-after', delay: delayMin + Math.floor(extra * (delayMax - delayMin)) };
    }
    if (roll >= rate || kinds.length === 0 || (options.faultable !== undefined && !options.faultable(action))) {
      return { after: false, delay: 0 };
    }
    const kind = kinds[Math.min(kinds.length - 1, Math.floor(pick * kinds.length))];
    return { ...(kind === undefined ? {} : { kind }), after: extra < 0.5, delay: delayMin + Math.floor(extra * (delayMax - delayMin)) };
  };

  const forward = (request: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const headers = { ...request.headers, host: target.host };
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, method: request.method, path: request.url, headers },
        (answer) => {
          readBody(answer).then((data) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: data }), reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });

  const relay = (response: ServerResponse, answer: { status: number; headers: IncomingMessage['headers']; body: Buffer }) => {
    const headers = { ...answer.headers };
    delete headers['transfer-encoding'];
    delete headers['connection'];
    headers['content-length'] = String(answer.body.length);
    response.writeHead(answer.status, headers);
    response.end(answer.body);
  };

  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      if ((request.url ?? '').startsWith('/_sandbox/')) {
        relay(response, await forward(request, body));
        return;
      }
      const header = request.headers['x-amz-target'];
      const targetHeader = Array.isArray(header) ? header[0] : header;
      const action = targetHeader === undefined ? '?' : targetHeader.slice(targetHeader.lastIndexOf('.') + 1);
      const mutating = isMutating(action);
      const record = (outcome: FaultOutcome, forwarded: boolean) =>
        calls.push({ t: Date.now() - started, action, mutating, outcome, forwarded });

      if (cutDone) {
        // The client is dead (or dying): nothing it still had in flight reaches the sandbox.
        record('cut', false);
        request.socket.destroy();
        return;
      }
      const fault = draw(action, body);
      switch (fault.kind) {
        case 'throttle':
          record('throttle', false);
          sendJsonError(response, 400, 'ThrottlingException', 'Rate exceeded');
          return;
        case 'http500':
          record('http500', false);
          sendJsonError(response, 500, 'ServerException', 'We encountered an internal error. Please try again.');
          return;
        case 'http503': {
          record('http503', false);
          const text = 'Service Unavailable';
          response.writeHead(503, { 'content-type': 'text/plain', 'content-length': text.length });
          response.end(text);
          return;
        }
        case 'reset':
          if (!fault.after) {
            record('reset-before', false);
            request.socket.destroy();
            return;
          }
          break;
        case 'delay':
          await sleep(fault.delay);
          break;
        default:
          break;
      }
      const answer = await forward(request, body);
      const isCut = mutating && answer.status < 300 && cut !== undefined && !cutDone && ++mutatingAnswered >= cut.afterMutating;
      if (isCut) {
        cutDone = true;
        record('cut', true);
        cut?.onCut();
        request.socket.destroy();
        return;
      }
      if (fault.kind === 'reset') {
        record('reset-after', true);
        request.socket.destroy();
        return;
      }
      record(fault.kind === 'delay' ? 'delay' : 'ok', true);
      relay(response, answer);
    })().catch(() => {
      // The sandbox went away or the client hung up: drop this connection, keep serving.
      request.socket.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    stats() {
      const byAction: FaultProxyStats['byAction'] = {};
      const byOutcome: Record<string, number> = {};
      for (const call of calls) {
        const entry = (byAction[call.action] ??= { calls: 0, faulted: 0, mutating: call.mutating });
        entry.calls += 1;
        if (call.outcome !== 'ok') entry.faulted += 1;
        byOutcome[call.outcome] = (byOutcome[call.outcome] ?? 0) + 1;
      }
      return {
        total: calls.length,
        faulted: calls.filter((call) => call.outcome !== 'ok').length,
        mutating: calls.filter((call) => call.mutating).length,
        mutatingForwarded: calls.filter((call) => call.mutating && call.forwarded).length,
        byAction,
        byOutcome,
        calls: [...calls],
      };
    },
    setRate(next) {
      rate = next;
    },
    setCut(next) {
      cut = next;
      cutDone = false;
      mutatingAnswered = 0;
    },
    reset(seed) {
      calls = [];
      random = seededRandom(seed ?? options.seed);
    },
    close() {
      return new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The reliability scenarios, shared by the fast suite (test/integration/reliability.test.ts) and
// the long sweeps (test/stress/): a fleet to seed, the CLI as a killable child, and a check of the
// fleet's final state that lists what is wrong instead of throwing, so sweeps can count.
// ---------------------------------------------------------------------------------------------

const CLI = fileURLToPath(new URL('../../bin/ecs-roll', import.meta.url));
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

const OTHER_IMAGES = ['acme/worker:1.0', 'acme/webhook:1.0', 'nginx:1.25', 'redis:7', 'acme2/web:1.0', '123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/web:1.0'];

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
    const expected: Record<string, string> = { web: `${TARGET_REPOSITORY}:${tag}`, ...(now.images['proxy'] === undefined ? {} : { proxy: 'nginx:1.25' }) };
    if (JSON.stringify(now.images) !== JSON.stringify(expected) || now.revision.split(':')[0] !== family || (Number(family.split('-')[1]) % 2 === 1) !== ('proxy' in now.images)) {
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

export interface CliChild {
  readonly child: ChildProcess;
  readonly done: Promise<CliRun & { readonly signal: NodeJS.Signals | null; readonly ms: number }>;
}

/** The built CLI as a child process whose pid the caller has (to kill it or to interrupt it). */
export function spawnCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): CliChild {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...TEST_ENV, ...options.env };
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const done = new Promise<CliRun & { signal: NodeJS.Signals | null; ms: number }>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
  return { child, done };
}

/** Sorted numbers' median. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
