import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The 100,000-order cases load and update real databases; generous, never asserted on.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
