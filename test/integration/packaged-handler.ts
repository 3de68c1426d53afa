import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { expect } from 'vitest';
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
  expect(Object.keys(files)).toEqual(['handler.mjs']);
  await writeFile(join(folder, 'handler.mjs'), files['handler.mjs'] ?? new Uint8Array());
  return { folder, remove: () => rm(folder, { recursive: true, force: true }) };
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
