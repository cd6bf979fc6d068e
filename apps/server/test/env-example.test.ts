/** The apps' `.env.example` files and docs/configuration.md are what the schemas generate. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './processes.js';

describe('generated configuration docs', () => {
  it('are up to date with the config schemas (pnpm env:generate)', () => {
    const result = spawnSync(
      process.execPath,
      ['--conditions=development', '--import', 'tsx', 'scripts/env-example.ts', '--check'],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
