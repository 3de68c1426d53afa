// The package as users get it: `npm pack` of this repository, installed with npm into a temporary prefix,
// then `ecs-roll --version`, `--help` and a dry run against the sandbox from the installed copy. It proves
// the tarball is complete (dist, the Lambda bundle, the help text, the launcher, the licence).
//
// To stay fast and offline it packs the dist/ that `npm test` has just built (`--ignore-scripts`; the
// `prepack` script, checked below, is what builds it from a clean clone), and gives npm the production
// dependencies as hard links of this checkout's node_modules, so the install needs no registry.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { sandboxControl } from '../sandbox/client.js';
import { container, createCluster, createService, ecsClient, registerTaskDefinition, TEST_ENV, type CliRun } from './helpers.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);

interface PackageJson {
  version: string;
  scripts: Record<string, string>;
  license: string;
}

interface LockFile {
  packages: Record<string, { dev?: boolean }>;
}

let work: string;
let prefix: string;
let packed: string[];
let manifest: PackageJson;

/** Runs the installed ecs-roll as a user would. */
function installed(args: readonly string[]): Promise<CliRun> {
  const bin = join(prefix, 'node_modules', '.bin', 'ecs-roll');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: { PATH: process.env.PATH, HOME: work, ...TEST_ENV }, stdio: ['ignore', 'pipe', 'pipe'], cwd: work });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  work = await mkdtemp(join(tmpdir(), 'ecs-roll-package-'));
  prefix = join(work, 'prefix');
  const npmEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' };
  const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, env: npmEnv });
  const [report] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  if (report === undefined) throw new Error(`npm pack answered ${pack.stdout}`);
  packed = report.files.map((file) => file.path);

  // The production dependencies, as the lock file lists them at the top of node_modules.
  const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as LockFile;
  const production = Object.entries(lock.packages)
    .filter(
      ([path, entry]) => path.startsWith('node_modules/') && !path.slice('node_modules/'.length).includes('/node_modules/') && entry.dev !== true,
    )
    .map(([path]) => path);
  for (const path of production) await mkdir(dirname(join(prefix, path)), { recursive: true });
  await run('cp', ['-al', '--parents', '-t', prefix, ...production], { cwd: ROOT });
  await run('npm', ['install', '--offline', '--no-save', '--prefix', prefix, join(work, report.filename)], { cwd: work, env: npmEnv });
}, 120_000);

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('builds on prepack, so npm pack and npm publish from a clean clone ship dist/', () => {
    expect(manifest.scripts['prepack']).toBe('npm run build');
    expect(manifest.license).toBe('MIT');
  });

  it('holds the launcher, the compiled CLI, its help text, the Lambda bundle and the licence, and no sources or tests', () => {
    expect(packed).toEqual(
      expect.arrayContaining(['bin/ecs-roll', 'dist/cli/bin.js', 'dist/cli/main.js', 'dist/cli/help.txt', 'LICENSE', 'README.md', 'package.json']),
    );
    expect(packed.some((path) => path.startsWith('dist/lambda/'))).toBe(true);
    expect(packed.filter((path) => path.startsWith('src/') || path.startsWith('test/'))).toEqual([]);
  });

  it('installs and answers --version and --help', async () => {
    const version = await installed(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(manifest.version);
    const help = await installed(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('rollout');
    const rolloutHelp = await installed(['rollout', '--help']);
    expect(rolloutHelp.code).toBe(0);
    expect(rolloutHelp.stdout).toContain('--expect-services');
  });

  it('runs a dry run against the sandbox from the installed copy', async () => {
    await sandbox.reset();
    const ecs = ecsClient(endpoint);
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await createService(ecs, 'prod', 'web', source);
    const dry = await installed(['rollout', 'acme/web:1.1', '--dry-run', '--expect-services', '1', '--endpoint-url', endpoint]);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('update   prod/web: web:1 → new web revision (1.1)');
    expect(dry.stdout).toContain('Dry run: nothing was changed.');
  });
});
