// 3. Start-up of the CLI as a whole process; 4. the Lambda zip's size and the bundled handler's import time.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { BENCH_ENV, CLI, interleaved, median, progress, timedRun } from './lib.js';

export interface StartupResult {
  readonly rounds: number;
  readonly nodeMs: number;
  readonly versionMs: number;
  readonly helpMs: number;
  readonly versionRatio: number;
  readonly helpRatio: number;
}

export async function measureStartup(rounds: number): Promise<StartupResult> {
  progress(`start-up: node -e 0, --version, --help; ${rounds} interleaved rounds`);
  const node = (args: string[]) => () => timedRun(process.execPath, args, { env: BENCH_ENV });
  const times = await interleaved(
    [
      { name: 'node', run: node(['-e', '0']) },
      { name: 'version', run: node([CLI, '--version']) },
      { name: 'help', run: node([CLI, '--help']) },
    ],
    rounds,
  );
  const nodeMs = median(times.get('node') ?? []);
  const versionMs = median(times.get('version') ?? []);
  const helpMs = median(times.get('help') ?? []);
  return { rounds, nodeMs, versionMs, helpMs, versionRatio: versionMs / nodeMs, helpRatio: helpMs / nodeMs };
}

export interface LambdaResult {
  readonly zipBytes: number;
  readonly bundleBytes: number;
  readonly rounds: number;
  readonly emptyMs: number;
  readonly handlerMs: number;
  readonly importRatio: number;
}

export async function measureLambda(rounds: number): Promise<LambdaResult> {
  const folder = await mkdtemp(join(tmpdir(), 'ecs-roll-bench-lambda-'));
  try {
    progress('Lambda package: ecs-roll package, then importing the handler from the zip');
    const zipPath = join(folder, 'lambda.zip');
    const packaged = await timedRun(process.execPath, [CLI, 'package', '--out', zipPath], { env: BENCH_ENV });
    if (packaged.code !== 0) throw new Error(`ecs-roll package exited with ${packaged.code}: ${packaged.stderr}`);
    const zipBytes = (await stat(zipPath)).size;
    // The handler measured is the one inside the zip, exactly as Lambda would unpack it.
    const files = unzipSync(new Uint8Array(await readFile(zipPath)));
    if (files['handler.mjs'] === undefined) throw new Error(`the zip holds ${Object.keys(files).join(', ')}, not handler.mjs`);
    // handler.mjs with the chunks it loads on demand beside it; the import measured loads what a cold start does.
    for (const [name, bytes] of Object.entries(files)) await writeFile(join(folder, name), bytes);
    const bundleBytes = Object.entries(files)
      .filter(([name]) => name.endsWith('.mjs'))
      .reduce((total, [, bytes]) => total + bytes.length, 0);
    await writeFile(join(folder, 'empty.mjs'), 'export {};\n');

    const importIn = (file: string) => () =>
      timedRun(process.execPath, ['--input-type=module', '-e', `await import('./${file}')`], { env: BENCH_ENV, cwd: folder });
    const times = await interleaved(
      [
        { name: 'empty', run: importIn('empty.mjs') },
        { name: 'handler', run: importIn('handler.mjs') },
      ],
      rounds,
    );
    const emptyMs = median(times.get('empty') ?? []);
    const handlerMs = median(times.get('handler') ?? []);
    return { zipBytes, bundleBytes, rounds, emptyMs, handlerMs, importRatio: handlerMs / emptyMs };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
