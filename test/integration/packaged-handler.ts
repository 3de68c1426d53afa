import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, expect } from 'vitest';
import { runCli, TEST_ENV } from './helpers.js';

/**
 * The zip `ecs-roll package` writes, unpacked into a temporary folder with no node_modules beside it:
 * what Lambda would run, since moto cannot run Lambda code here (it needs Docker).
 */
export async function unpackPackagedHandler(): Promise<{ folder: string; remove(): Promise<void> }> {
  const folder = await mkdtemp(join(tmpdir(), 'ecs-roll-lambda-'));
  const zipPath = join(folder, 'function.zip');
  const packaged = await runCli(['package', '--out', zipPath]);
  expect(packaged.code, packaged.stderr).toBe(0);
  const files = unzipSync(new Uint8Array(await readFile(zipPath)));
  // handler.mjs and the chunks it loads on demand, all in the zip's root (scripts/bundle-lambda.mjs).
  const names = Object.keys(files);
  expect(names).toContain('handler.mjs');
  for (const name of names) expect(name).toMatch(/^(handler|chunk-[A-Z0-9]+)\.mjs$/);
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(folder, name), bytes);
  return { folder, remove: () => rm(folder, { recursive: true, force: true }) };
}

/**
 * The packaged handler for the tests of the enclosing describe block (or file): unpacked once before them and
 * removed after. `folder` is there while they run.
 */
export function usePackagedHandler(): { readonly folder: string } {
  let unpacked: Awaited<ReturnType<typeof unpackPackagedHandler>> | undefined;
  beforeAll(async () => {
    unpacked = await unpackPackagedHandler();
  });
  afterAll(async () => {
    await unpacked?.remove();
  });
  return {
    get folder() {
      if (unpacked === undefined) throw new Error('the packaged handler is unpacked before the tests run, not while they are collected');
      return unpacked.folder;
    },
  };
}

export interface InvokeCall {
  readonly path: string;
  readonly invocationType: string | undefined;
  readonly body: string;
}

/**
 * A stand-in for Lambda's Invoke API, which moto cannot run here (it needs Docker), for the tests of the
 * enclosing describe block (or file): it answers 202 and records what the receiver hands over. `url` is there
 * while the tests run; `calls` fills as they do.
 */
export function useInvokeRecorder(): { readonly url: string; readonly calls: InvokeCall[] } {
  const calls: InvokeCall[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    calls.push({
      path: request.url ?? '',
      invocationType: request.headers['x-amz-invocation-type'] as string | undefined,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    response.writeHead(202, { 'content-type': 'application/json' }).end('');
  });
  let url = '';
  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });
  afterAll(() => {
    server.close();
  });
  return {
    get url() {
      return url;
    },
    calls,
  };
}

export interface HandlerCall<R> {
  readonly result: R;
  /** The handler's JSON log lines. */
  readonly logs: Record<string, unknown>[];
  readonly stdout: string;
}

/** Imports handler.mjs in a fresh node process and calls one entry point with `event`, as Lambda would. */
export async function callPackagedHandler<R>(
  folder: string,
  entry: 'receive' | 'work',
  event: unknown,
  env: NodeJS.ProcessEnv,
): Promise<HandlerCall<R>> {
  const script = `const m = await import('./handler.mjs'); const r = await m.${entry}(JSON.parse(process.env.EVENT), { getRemainingTimeInMillis: () => 120000 }); process.stdout.write('RESULT ' + JSON.stringify(r) + '\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: folder,
    env: { PATH: process.env.PATH, ...TEST_ENV, ...env, EVENT: JSON.stringify(event) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(code, stderr).toBe(0);
  const lines = stdout.split('\n').filter((line) => line.trim() !== '');
  const resultLine = lines.find((line) => line.startsWith('RESULT ')) ?? 'RESULT null';
  return {
    result: JSON.parse(resultLine.slice('RESULT '.length)) as R,
    logs: lines.filter((line) => !line.startsWith('RESULT ')).map((line) => JSON.parse(line) as Record<string, unknown>),
    stdout,
  };
}

/** The job the receiver hands the worker for a Docker Hub push of `image` (`pushedAt` in Unix seconds). */
export function pushJob(image: string, pushedAt = 1_767_225_600) {
  return { version: 1, kind: 'dockerhub-push', image, tag: image.slice(image.lastIndexOf(':') + 1), pushedAt };
}

/**
 * The packaged worker's `work` on the job for a push of `image`, set up as install sets it up for the repository
 * acme/web (the token does not matter to the worker), polling every 0.3 s for 30 s at the most, every client it
 * makes talking to the sandbox at `endpoint` on loopback. `env` adds to that.
 */
export function workOnPush<R>(folder: string, endpoint: string, image: string, env: NodeJS.ProcessEnv = {}): Promise<HandlerCall<R>> {
  return callPackagedHandler<R>(folder, 'work', pushJob(image), {
    ECS_ROLL_TOKEN_SHA256: createHash('sha256').update('unused-token').digest('hex'),
    ECS_ROLL_REPOS: 'acme/web',
    ECS_ROLL_POLL_INTERVAL: '0.3',
    ECS_ROLL_TIMEOUT: '30',
    AWS_ENDPOINT_URL: endpoint,
    ...env,
  });
}
