/**
 * The vitest config Stryker runs the domain's mutants with: the unit tests only. The pack and
 * dependency-rule tests spawn pnpm/npm/depcruise and cover no mutant, so they would only make
 * Stryker's initial run slow.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// biome-ignore lint/style/noDefaultExport: vitest reads the default export
export default defineConfig({
  root: resolve(import.meta.dirname, '..'),
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/pack.test.ts', 'test/dependency-rules.test.ts'],
  },
});
