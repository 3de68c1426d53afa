import { defineConfig } from 'vitest/config';

// Integration files run side by side, a sandbox each: global-setup.ts starts one sandbox per worker slot and
// sandboxEndpoint() (test/sandbox/endpoint.ts) gives each running file the sandbox of its slot (VITEST_POOL_ID).
// The files mostly wait on the sandboxes' simulated clocks, so more workers than cores pays off: measured in
// BENCHMARKS.md ("Test suite"). Both projects take the same number of workers because vitest 4 runs projects
// of one group in one pool and refuses projects with different maxWorkers in the same group; unit files fill
// slots the integration files leave free.
const WORKERS = Number(process.env['ECS_ROLL_TEST_WORKERS'] ?? 4);

export default defineConfig({
  test: {
    // The SDK's notice about its future Node 22 requirement is not about the code under test.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    maxWorkers: WORKERS,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          maxWorkers: WORKERS,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/sandbox/**/*.test.ts'],
          globalSetup: ['test/sandbox/global-setup.ts'],
          maxWorkers: WORKERS,
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
