import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebhookConfig } from './config.js';
import type { LogLine } from './log.js';
import { MAX_BODY_BYTES, receiveWebhook, type RolloutJob } from './receiver.js';

/** Reads at most MAX_BODY_BYTES; past that it stops reading and reports the body as too large. */
function readBody(request: IncomingMessage): Promise<{ body: Buffer | undefined; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      resolve({ body: undefined, tooLarge: true });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    request.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        settled = true;
        resolve({ body: undefined, tooLarge: true });
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!settled) resolve({ body: Buffer.concat(chunks), tooLarge: false });
    });
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

/**
 * The same receiver as the Lambda function, over node's HTTP server. A job is handed to `onJob`
 * and the request is answered at once; the rollout is not awaited.
 */
export function createWebhookServer(config: WebhookConfig, onJob: (job: RolloutJob) => void, log: LogLine): Server {
  const server = createServer(async (request, response) => {
    try {
      const { body, tooLarge } = await readBody(request);
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      const decision = receiveWebhook({ method: request.method ?? '', path, body, bodyTooLarge: tooLarge }, config);
      // Only the outcome is logged: the path carries the token.
      log({ level: decision.status >= 400 ? 'warn' : 'info', event: 'webhook', status: decision.status, image: decision.job?.image });
      if (decision.job !== undefined) onJob(decision.job);
      // An unread oversized body would otherwise keep the connection busy.
      send(response, decision.status, decision.body, tooLarge);
    } catch (error) {
      log({ level: 'warn', event: 'webhook-read-failed', message: error instanceof Error ? error.message : String(error) });
      if (!response.headersSent) send(response, 400, { error: 'could not read the request' }, true);
    }
  });
  // CONNECT never reaches the request handler, and without this listener node drops the connection
  // unanswered: decide it like any other method (404 off the route or with a wrong token, else 405).
  server.on('connect', (request: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => {});
    const target = request.url ?? '';
    const path = target.startsWith('/') ? new URL(target, 'http://localhost').pathname : target;
    const decision = receiveWebhook({ method: 'CONNECT', path, body: Buffer.alloc(0) }, config);
    log({ level: 'warn', event: 'webhook', status: decision.status });
    const text = JSON.stringify(decision.body);
    socket.end(
      `HTTP/1.1 ${decision.status} ${STATUS_CODES[decision.status] ?? ''}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(text)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${text}`,
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  return server;
}
