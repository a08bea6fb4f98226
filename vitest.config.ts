import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'serving/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/setup/global-setup.ts'],
    // Integration suites build images and start servers on the bench; unit tests finish in milliseconds anyway.
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Two cores: suites that drive Docker compete for them, so run files two at a time at most.
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Tests that call moto with the AWS SDK directly would print the SDK's "Node 22 from 2027" notice each time.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
