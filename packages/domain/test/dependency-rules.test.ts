/**
 * DESIGN.md §2's dependency rule is enforced by dependency-cruiser in `pnpm lint`. This
 * proves the rule set catches what it must, on a throwaway tree laid out like the repo.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '../../..');
const depcruise = join(repoRoot, 'node_modules/.bin/depcruise');
const dirs: string[] = [];

function cruise(files: Record<string, string>): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ocs-deps-'));
  dirs.push(dir);
  copyFileSync(join(repoRoot, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  copyFileSync(join(repoRoot, 'tsconfig.base.json'), join(dir, 'tsconfig.base.json'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  // The folders of the root `lint:deps` script.
  const folders = ['packages', 'apps', 'bench', 'faults'];
  const result = spawnSync(depcruise, [...folders, '--config', '.dependency-cruiser.cjs'], {
    cwd: dir,
    encoding: 'utf8',
  });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const base = {
  'packages/domain/src/index.ts': 'export const x = 1;\n',
  'packages/db/src/index.ts':
    "import { x } from '../../domain/src/index.js';\nexport const y = x;\n",
  'apps/server/src/main.ts':
    "import { y } from '../../../packages/db/src/index.js';\nexport const z = y;\n",
  'packages/test-support/src/index.ts': 'export const start = 1;\n',
  'apps/server/test/e2e.test.ts':
    "import { start } from '../../../packages/test-support/src/index.js';\nexport const t = start;\n",
  'bench/src/main.ts':
    "import { y } from '../../packages/db/src/index.js';\nimport { start } from '../../packages/test-support/src/index.js';\nexport const b = [y, start];\n",
  'faults/src/cluster.ts':
    "import { start } from '../../packages/test-support/src/index.js';\nexport const f = start;\n",
};

// Each case starts depcruise (a Node CLI): about a second alone, over 12 s seen on a loaded
// 2-core machine, so the default 5 s per test would measure the machine, not the rules.
describe('dependency rules', { timeout: 120_000 }, () => {
  it('accept the allowed direction: apps → packages → domain; tests, bench, faults → test-support', () => {
    const result = cruise(base);
    expect(result.output).toContain('no dependency violations');
    expect(result.ok).toBe(true);
  });

  it('fail when domain imports db', () => {
    const result = cruise({
      ...base,
      'packages/domain/src/bad.ts':
        "import { y } from '../../db/src/index.js';\nexport const b = y;\n",
    });
    expect(result.ok).toBe(false);
    expect(result.output).toContain('domain-depends-on-nothing-of-ours');
  });

  it('fail when a package imports an app', () => {
    const result = cruise({
      ...base,
      'packages/db/src/bad.ts':
        "import { z } from '../../../apps/server/src/main.js';\nexport const b = z;\n",
    });
    expect(result.ok).toBe(false);
    expect(result.output).toContain('no-package-imports-an-app');
  });

  it('fail when an adapter package imports another adapter package', () => {
    const result = cruise({
      ...base,
      'packages/requirements/src/bad.ts':
        "import { y } from '../../db/src/index.js';\nexport const b = y;\n",
    });
    expect(result.ok).toBe(false);
    expect(result.output).toContain('adapters-depend-on-domain-only');
  });

  it('fail when bench imports the source of an app at runtime (it starts apps as processes)', () => {
    const result = cruise({
      ...base,
      'bench/src/bad.ts':
        "import { z } from '../../apps/server/src/main.js';\nexport const b = z;\n",
    });
    expect(result.ok).toBe(false);
    expect(result.output).toContain('bench-and-faults-start-apps-as-processes');
  });

  it('fail when product code imports test-support', () => {
    const result = cruise({
      ...base,
      'packages/db/src/bad.ts':
        "import { start } from '../../test-support/src/index.js';\nexport const b = start;\n",
    });
    expect(result.ok).toBe(false);
    expect(result.output).toContain('only-tests-use-test-support');
  });

  it('fail when a package imports the fault suite', () => {
    const result = cruise({
      ...base,
      'packages/db/src/bad.ts':
        "import { f } from '../../../faults/src/cluster.js';\nexport const b = f;\n",
    });
    expect(result.ok).toBe(false);
    expect(result.output).toContain('nothing-imports-bench-or-faults');
  });
});
