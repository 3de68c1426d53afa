// Releases the GitHub Action: builds the bundle from HEAD and records it in a release commit on top of
// HEAD (the branch and the working tree are left as they are), tags that commit `v<package version>`
// and moves the major tag (`v0`) that workflows name in `uses: <owner>/ecs-roll@v0`. A workflow gets
// the repository at the tag, so the bundle must be in the tag's tree; keeping it out of the branches
// means no generated file to keep in step or to merge.
//
//   npm run release:action                 tag locally and print the push command
//   npm run release:action -- --push origin   tag and push both tags
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUNDLE_PATH = 'dist/action/index.mjs';

function git(args, env = {}) {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } }).trim();
}

function refuse(message, code = 1) {
  process.stderr.write(`release-action: ${message}\n`);
  process.exit(code);
}

const args = process.argv.slice(2);
const pushIndex = args.indexOf('--push');
const remote = pushIndex === -1 ? undefined : args[pushIndex + 1];
if ((pushIndex !== -1 && (remote === undefined || remote.startsWith('-'))) || args.length !== (pushIndex === -1 ? 0 : 2)) {
  refuse('usage: node scripts/release-action.mjs [--push <remote>]', 2);
}

const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const match = /^(\d+)\.\d+\.\d+$/.exec(version);
if (match === null) refuse(`package.json's version ${JSON.stringify(version)} is not MAJOR.MINOR.PATCH`);
const tag = `v${version}`;
const majorTag = `v${match[1]}`;

// The bundle is built from the working tree, so that must be HEAD exactly.
if (git(['status', '--porcelain', '--untracked-files=no']) !== '') refuse('the working tree has uncommitted changes; the release is built from HEAD');
if (git(['tag', '--list', tag]) !== '') refuse(`${tag} exists already; bump the version in package.json first`);

const scratch = mkdtempSync(join(tmpdir(), 'ecs-roll-release-'));
try {
  const bundle = join(scratch, 'index.mjs');
  execFileSync(process.execPath, [join(ROOT, 'scripts/bundle-action.mjs'), bundle], { stdio: 'inherit' });
  const head = git(['rev-parse', 'HEAD']);
  // HEAD's tree plus the bundle, written through a scratch index so the real one is not touched.
  const index = { GIT_INDEX_FILE: join(scratch, 'index') };
  const blob = git(['hash-object', '-w', bundle]);
  git(['read-tree', head], index);
  git(['update-index', '--add', '--cacheinfo', `100644,${blob},${BUNDLE_PATH}`], index);
  const tree = git(['write-tree'], index);
  const commit = git(['commit-tree', tree, '-p', head, '-m', `Release ${tag}: the GitHub Action with its bundle, built from ${head.slice(0, 12)}`]);
  git(['tag', tag, commit]);
  git(['tag', '--force', majorTag, commit]);
  process.stdout.write(`${tag} and ${majorTag} → ${commit.slice(0, 12)} (HEAD ${head.slice(0, 12)} plus ${BUNDLE_PATH})\n`);
  if (remote === undefined) {
    process.stdout.write(`push with: git push origin ${tag} && git push --force origin ${majorTag}\n`);
  } else {
    git(['push', remote, tag]);
    git(['push', '--force', remote, majorTag]);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
