import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { HANDLERS, lambdaZip, LAMBDA_RUNTIME } from '../../aws/lambda-package.js';
import type { CliIo } from '../render.js';

export async function runPackageCommand(options: { out: string }, io: CliIo): Promise<number> {
  if (!options.out.endsWith('.zip')) throw new UsageError(`--out must name a .zip file, got ${JSON.stringify(options.out)}`);
  const zip = await lambdaZip();
  const path = resolve(options.out);
  try {
    await writeFile(path, zip);
  } catch (error) {
    throw new UsageError(`cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  io.stdout.write(
    `wrote ${path} (${(zip.length / 1024).toFixed(0)} KiB): runtime ${LAMBDA_RUNTIME}, handlers ${HANDLERS.receiver} (API Gateway) and ${HANDLERS.worker} (async worker)\n`,
  );
  return 0;
}
