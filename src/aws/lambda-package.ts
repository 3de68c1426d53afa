import { readFile } from 'node:fs/promises';
import { zipSync } from 'fflate';
import { OperationFailedError } from '../core/errors.js';

/** The handler names a deployment of the zip configures. */
export const HANDLERS = { receiver: 'handler.receive', worker: 'handler.work' } as const;
export const LAMBDA_RUNTIME = 'nodejs22.x';

const BUNDLE = new URL('../lambda/handler.mjs', import.meta.url);
/** A fixed time keeps the zip byte-identical across builds, so an unchanged install uploads nothing. */
const FIXED_MTIME = new Date('2020-01-01T00:00:00Z');

/**
 * The deployment zip: the bundled handler as `handler.mjs`, and the `files` install adds next to it (the
 * settings file, src/webhook/settings-file.ts), each with the fixed time.
 */
export async function lambdaZip(files: Readonly<Record<string, string>> = {}): Promise<Uint8Array> {
  let code: Buffer;
  try {
    code = await readFile(BUNDLE);
  } catch (error) {
    throw new OperationFailedError(`the Lambda bundle ${BUNDLE.pathname} is missing; run npm run build`, { cause: error });
  }
  const extra = Object.fromEntries(
    Object.entries(files).map(([name, text]) => [name, [new TextEncoder().encode(text), { level: 9, mtime: FIXED_MTIME }] as const]),
  );
  return zipSync({ 'handler.mjs': [new Uint8Array(code), { level: 9, mtime: FIXED_MTIME }], ...extra });
}
