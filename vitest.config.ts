import { defineConfig } from 'vitest/config';

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
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/sandbox/**/*.test.ts'],
          globalSetup: ['test/sandbox/global-setup.ts'],
          // One sandbox serves the whole run and is reset between files, so files take turns.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
