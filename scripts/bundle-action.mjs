// Bundles the GitHub Action into one ESM file with everything it imports, the AWS SDK's ECS client
// included, so a workflow runs it from a checkout of a release tag without `npm install`.
// `npm run build` writes dist/action/index.mjs (not committed); scripts/release-action.mjs puts a fresh
// one into the release commit. An argument writes the bundle elsewhere.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

await build({
  absWorkingDir: fileURLToPath(new URL('..', import.meta.url)),
  entryPoints: ['src/action/main.ts'],
  outfile: process.argv[2] ?? 'dist/action/index.mjs',
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  // action.yml runs it on node24; node20 keeps it runnable on the oldest Node the project supports.
  target: 'node20',
  legalComments: 'none',
  // Some bundled dependencies are CommonJS and require node built-ins.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  logLevel: 'warning',
});
