import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test file gets its own process: GPU devices are never shared between files, and
    // --expose-gc lets the stress test force garbage collection.
    pool: 'forks',
    execArgv: ['--expose-gc'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // SwiftShader runs on the CPU: two GPU files at once only fight for the same two cores.
    maxWorkers: 2,
  },
});
