// Bundles the Lambda entry points into one minified ESM file with the AWS SDK inside,
// so the function does not depend on whichever SDK version the runtime happens to ship.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/lambda/handler.ts'],
  outfile: 'dist/lambda/handler.mjs',
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  legalComments: 'none',
  // Some bundled dependencies are CommonJS and require node built-ins.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  logLevel: 'warning',
});
