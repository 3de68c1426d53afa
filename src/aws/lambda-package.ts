import { readdir, readFile } from 'node:fs/promises';
import { zipSync } from 'fflate';
import { OperationFailedError } from '../core/errors.js';

/** The handler names a deployment of the zip configures. */
export const HANDLERS = { receiver: 'handler.receive', worker: 'handler.work' } as const;
export const LAMBDA_RUNTIME = 'nodejs22.x';

const BUNDLE = new URL('../lambda/', import.meta.url);
/** Deflate level 9 and a fixed time: the zip stays byte-identical across builds, so an unchanged install uploads nothing. */
const ENTRY = { level: 9, mtime: new Date('2020-01-01T00:00:00Z') } as const;

/** handler.mjs and the chunks it loads on demand (scripts/bundle-lambda.mjs), in a fixed order. */
async function bundleFiles(): Promise<[string, Uint8Array][]> {
  try {
    const names = (await readdir(BUNDLE)).filter((name) => name.endsWith('.mjs')).sort();
    if (!names.includes('handler.mjs')) throw new Error(`no handler.mjs in ${BUNDLE.pathname}`);
    return await Promise.all(names.map(async (name): Promise<[string, Uint8Array]> => [name, new Uint8Array(await readFile(new URL(name, BUNDLE)))]));
  } catch (error) {
    throw new OperationFailedError(`the Lambda bundle in ${BUNDLE.pathname} is missing; run npm run build`, { cause: error });
  }
}

/**
 * The deployment zip: the bundled handler as `handler.mjs` with its chunks beside it, and the `files` install
 * adds next to them (the settings file, src/webhook/settings-file.ts), each with the fixed time.
 */
export async function lambdaZip(files: Readonly<Record<string, string>> = {}): Promise<Uint8Array> {
  const entries: Record<string, [Uint8Array, typeof ENTRY]> = {};
  for (const [name, code] of await bundleFiles()) entries[name] = [code, ENTRY];
  for (const [name, text] of Object.entries(files)) entries[name] = [new TextEncoder().encode(text), ENTRY];
  return zipSync(entries);
}
