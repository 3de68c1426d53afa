import { defineConfig } from 'vitest/config';

/** Long sweeps (many seeds, every kill point) that `npm test` leaves out; `npm run test:stress` runs them. */
export default defineConfig({
  test: {
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    include: ['test/stress/**/*.test.ts'],
    globalSetup: ['test/sandbox/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 1_800_000,
    hookTimeout: 120_000,
  },
});
