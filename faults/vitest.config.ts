import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real processes on 2 cores: one scenario at a time, in file order.
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 240_000,
    hookTimeout: 120_000,
    // The per-scenario tables are the output; keep console lines.
    silent: false,
  },
});
