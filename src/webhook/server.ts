import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebhookConfig } from './config.js';
import type { LogLine } from './log.js';
import { MAX_BODY_BYTES, receiveWebhook, refuseBeforeBody, type RolloutJob, type WebhookResponse } from './receiver.js';
import { createUnauthenticatedLog } from './unauthenticated-log.js';

/**
 * How much of a refused or oversized body is read and thrown away before the answer goes out. Answering and
 * closing while the client is still sending makes its next write fail (EPIPE or a reset) before it reads the
 * answer; reading the rest first (never buffering it) lets the answer arrive. Past this, the connection is closed
 * at once: the request timeout bounds the time either way.
 */
const DISCARD_MAX_BYTES = 1024 * 1024;

/** Reads and drops the rest of the body, up to `limit` bytes; settles at its end, past the limit, or on error. */
function discardBody(request: IncomingMessage, limit: number): Promise<void> {
  return new Promise((resolve) => {
    if (request.readableEnded) return resolve();
    let size = 0;
    const done = () => resolve();
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) done();
    });
    request.once('end', done);
    request.once('error', done);
    request.once('close', done);
    request.resume();
  });
}

/** Reads at most MAX_BODY_BYTES; past that it drops the rest (up to DISCARD_MAX_BYTES) and reports the body as too large. */
async function readBody(request: IncomingMessage): Promise<{ body: Buffer | undefined; tooLarge: boolean }> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    if (declared <= DISCARD_MAX_BYTES) await discardBody(request, DISCARD_MAX_BYTES);
    return { body: undefined, tooLarge: true };
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DISCARD_MAX_BYTES) return resolve({ body: undefined, tooLarge: true });
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? { body: undefined, tooLarge: true } : { body: Buffer.concat(chunks), tooLarge: false }));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: Readonly<Record<string, unknown>>, close = false): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...(close ? { connection: 'close' } : {}),
  });
  response.end(text);
}

/** Node's own defaults let a slow client hold a socket for minutes; a webhook needs seconds. */
export const SERVER_LIMITS = {
  /** Complete request headers within this. */
  headersTimeoutMs: 10_000,
  /** Complete request (headers and body) within this. */
  requestTimeoutMs: 15_000,
  /**
   * How often node checks the two timeouts above; its default (30 s) lets an idle socket live up
   * to 30 s past them. https://nodejs.org/api/http.html#httpcreateserveroptions-requestlistener
   */
  checkIntervalMs: 1_000,
  /** A socket with no traffic at all (not even a request line) is closed after this. */
  idleSocketMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  /** Open connections at once; past this node closes new ones at once. Docker Hub sends one at a time. */
  maxConnections: 256,
} as const;

/**
 * The same receiver as the Lambda function, over node's HTTP server. The token and method are checked
 * from the request line before a byte of the body is read; a refused request is answered at once and
 * its connection closed. A job is handed to `onJob` and the request answered; the rollout is not awaited.
 */
export function createWebhookServer(config: WebhookConfig, onJob: (job: RolloutJob) => void, log: LogLine): Server {
  const unauthenticated = createUnauthenticatedLog(log);
  const logDecision = (decision: WebhookResponse, method: string, source: string | undefined) => {
    if (!decision.authenticated) unauthenticated({ status: decision.status, method, source });
    // Only the outcome is logged: the path carries the token.
    else log({ level: decision.status >= 400 ? 'warn' : 'info', event: 'webhook', status: decision.status, image: decision.job?.image, source });
    // A push the policy ignores ends here: its own line, which `serve --notify` tells.
    if (decision.ignored !== undefined)
      log({ event: 'job-ignored', job: decision.ignored.image, pushedAt: decision.ignored.pushedAt, reason: decision.ignored.reason });
  };
  const server = createServer(
    {
      headersTimeout: SERVER_LIMITS.headersTimeoutMs,
      requestTimeout: SERVER_LIMITS.requestTimeoutMs,
      connectionsCheckingInterval: SERVER_LIMITS.checkIntervalMs,
      keepAliveTimeout: SERVER_LIMITS.keepAliveTimeoutMs,
    },
    async (request, response) => {
      const method = request.method ?? '';
      const source = request.socket.remoteAddress;
      try {
        const path = new URL(request.url ?? '/', 'http://localhost').pathname;
        const refused = refuseBeforeBody(method, path, config);
        if (refused !== undefined) {
          logDecision(refused, method, source);
          // The body is never buffered: what the client still sends is discarded as it arrives (within the
          // request timeout), so the answer is not lost to a reset; a body declared too large closes the connection.
          const declared = Number(request.headers['content-length']);
          const oversized = Number.isFinite(declared) && declared > MAX_BODY_BYTES;
          if (!oversized) request.resume();
          else if (declared <= DISCARD_MAX_BYTES) await discardBody(request, DISCARD_MAX_BYTES);
          send(response, refused.status, refused.body, oversized);
          return;
        }
        const { body, tooLarge } = await readBody(request);
        const decision = receiveWebhook({ method, path, body, bodyTooLarge: tooLarge }, config);
        logDecision(decision, method, source);
        if (decision.job !== undefined) onJob(decision.job);
        // An unread oversized body would otherwise keep the connection busy.
        send(response, decision.status, decision.body, tooLarge);
      } catch (error) {
        log({ level: 'warn', event: 'webhook-read-failed', source, message: error instanceof Error ? error.message : String(error) });
        if (!response.headersSent) send(response, 400, { error: 'could not read the request' }, true);
      }
    },
  );
  // CONNECT never reaches the request handler, and without this listener node drops the connection
  // unanswered: decide it like any other method (404 off the route or with a wrong token, else 405).
  server.on('connect', (request: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => {});
    const target = request.url ?? '';
    const path = target.startsWith('/') ? new URL(target, 'http://localhost').pathname : target;
    const decision = refuseBeforeBody('CONNECT', path, config) ?? {
      status: 405,
      authenticated: true,
      body: { error: 'method not allowed; use POST' },
    };
    logDecision(decision, 'CONNECT', request.socket.remoteAddress);
    const text = JSON.stringify(decision.body);
    socket.end(
      `HTTP/1.1 ${decision.status} ${STATUS_CODES[decision.status] ?? ''}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(text)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${text}`,
    );
  });
  server.maxConnections = SERVER_LIMITS.maxConnections;
  server.setTimeout(SERVER_LIMITS.idleSocketMs, (socket) => socket.destroy());
  return server;
}
