import { readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import { integrationShards } from './test/sandbox/shards.js';

// Integration files need a sandbox and reset it between files, so files sharing one sandbox take turns.
// The files are dealt into a few shards, each a vitest project with a sandbox of its own (globalSetup runs per
// project, and inject('sandboxEndpoint') answers each file with its own project's), so no sandbox carries state
// across more than a third of the files. Measured on a clean clone: vitest 4 still runs the shards one after
// another, because it puts every project with file parallelism off into one sequential group (groupSpecs in
// vitest's pool). Running them side by side needs one project with parallel files and a sandbox per worker,
// chosen by VITEST_POOL_ID.
const SHARDS = Number(process.env['ECS_ROLL_TEST_SHARDS'] ?? 3);

const integrationFiles = ['test/integration', 'test/sandbox'].flatMap((dir) =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => `${dir}/${name}`),
);

export default defineConfig({
  test: {
    // The SDK's notice about its future Node 22 requirement is not about the code under test.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      ...integrationShards(integrationFiles, SHARDS).map((files, index) => ({
        extends: true as const,
        test: {
          name: `integration-${index + 1}`,
          include: files,
          globalSetup: ['test/sandbox/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      })),
    ],
  },
});
