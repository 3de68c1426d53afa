// A fault-injecting HTTP proxy on loopback, between the CLI's SDK clients (--endpoint-url points
// here) and the sandbox. At a given rate, decided by a seeded PRNG per request, it answers as AWS
// does on a bad day: ThrottlingException, 500, 503, a connection reset (half of them before the
// request reaches the sandbox, half after it took effect there, so only the answer is lost), or a
// delay of 1–3 s before forwarding. It counts every call by action, and can cut a run dead: SIGKILL
// the client process when the k-th mutating call has been answered by the sandbox, before that
// answer is sent, and forward nothing after it. Control routes (/_sandbox/*) pass through untouched.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

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
      const upstream = httpRequest({ host: target.hostname, port: target.port, method: request.method, path: request.url, headers }, (answer) => {
        readBody(answer).then((data) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: data }), reject);
      });
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
      const record = (outcome: FaultOutcome, forwarded: boolean) => calls.push({ t: Date.now() - started, action, mutating, outcome, forwarded });

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
        const entry = byAction[call.action] ?? { calls: 0, faulted: 0, mutating: call.mutating };
        byAction[call.action] = entry;
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
