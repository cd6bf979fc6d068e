import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The Galera mode (`pnpm test:faults --galera`) is its own run: it starts a cluster.
    // Unit tests beside the code in src/, the scenarios (real processes) in test/.
    include:
      process.env.FAULTS_GALERA === 'true'
        ? ['test/galera.test.ts']
        : ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: process.env.FAULTS_GALERA === 'true' ? [] : ['test/galera.test.ts', 'node_modules/**'],
    // Real processes on 2 cores: one scenario at a time, in file order.
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 240_000,
    hookTimeout: 120_000,
    // The per-scenario tables are the output; keep console lines.
    silent: false,
  },
});
