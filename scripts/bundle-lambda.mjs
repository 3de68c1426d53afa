// Bundles the Lambda entry points into minified ESM with the AWS SDK inside, so the function does not
// depend on whichever SDK version the runtime happens to ship.
//
// Split into chunks: handler.mjs holds what every invocation needs, and each SDK client and command module
// is a chunk that loads on its first `await import()`. A cold start then parses about 25 KiB instead of the
// whole 1.2 MiB (the receiver never loads ECS). Chunks sit beside handler.mjs, in the zip's root, so a
// file the code finds by `import.meta.url` (the settings file) is beside every chunk too.
import { readdir, rm } from 'node:fs/promises';
import { build } from 'esbuild';

const outdir = 'dist/lambda';
// A chunk of an earlier build must not ride along in the zip.
await rm(outdir, { recursive: true, force: true });

await build({
  entryPoints: { handler: 'src/lambda/handler.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunk-[hash]',
  splitting: true,
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  // The SDK's ES module builds: a chunk made from a CommonJS build exports only `default`, so
  // `const { LambdaClient } = await import('@aws-sdk/client-lambda')` would find nothing in it.
  mainFields: ['module', 'main'],
  target: 'node22',
  legalComments: 'none',
  // Some bundled dependencies are CommonJS and require node built-ins.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  logLevel: 'warning',
});

const files = await readdir(outdir);
if (!files.includes('handler.mjs')) throw new Error(`the Lambda bundle has no handler.mjs: ${files.join(', ')}`);
