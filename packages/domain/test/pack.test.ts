/**
 * Other services install this package from a tarball/registry and import it from plain
 * Node, without TypeScript or a bundler: pack it, install it, import it with `node`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDir = resolve(import.meta.dirname, '..');
let workDir: string;
let tarball: string;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'ocs-domain-pack-'));
  execFileSync('pnpm', ['pack', '--pack-destination', workDir], { cwd: packageDir, stdio: 'pipe' });
  const name = readdirSync(workDir).find((f) => f.endsWith('.tgz'));
  if (!name) throw new Error(`pnpm pack wrote no tarball into ${workDir}`);
  tarball = join(workDir, name);
  const project = join(workDir, 'consumer');
  execFileSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', tarball], {
    cwd: project,
    stdio: 'pipe',
  });
}, 120_000);

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('the packed @ocs/domain', () => {
  it('ships compiled JavaScript and type declarations only', () => {
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(listing).toContain('package/dist/index.js');
    expect(listing).toContain('package/dist/index.d.ts');
    expect(listing.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('rewrites the exports map to dist and pins zod to a real version', () => {
    const manifest = JSON.parse(
      execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }),
    );
    expect(manifest.exports['.']).toEqual({
      types: './dist/index.d.ts',
      default: './dist/index.js',
    });
    expect(manifest.dependencies.zod).toMatch(/^\^?\d/);
  });

  // Starts a Node process: seconds on a loaded machine, so no 5 s default limit.
  it('is imported by plain node and its use case runs', { timeout: 60_000 }, () => {
    const script = `
      import { CompleteOrders, NoOrdersFoundError, completeOrderResponseSchema, silentLogger } from '@ocs/domain';
      const order = { id: 1, orderDate: new Date('2020-01-01'), state: 'SUBMITTED', lines: [] };
      const useCase = new CompleteOrders({
        repository: { findByIds: async (ids) => ids.includes(1) ? [order] : [] },
        ledger: {
          claim: async ({ orderIds }) => ({ toNotify: [...orderIds], alreadyNotified: [], claimedElsewhere: [] }),
          markNotified: async () => {},
          release: async () => {},
          finish: async (_run, ids) => ({ updatedIds: [...ids] }),
        },
        calls: { start: async () => {}, complete: async () => {} },
        notifier: { notifyCompleted: async (os) => os.map((o) => ({ orderId: o.id, ok: true, attempts: 1 })) },
        requirements: [],
        clock: { now: () => new Date() },
        databaseClock: { now: async () => new Date() },
        logger: silentLogger,
        newCallId: () => 'run-1',
        claimLeaseMs: 60000,
      });
      const { response } = await useCase.execute([1, 2]);
      completeOrderResponseSchema.parse(response);
      const error = await useCase.execute([3]).catch((e) => e);
      console.log(JSON.stringify({ response, notFound: error instanceof NoOrdersFoundError, code: error.code }));
    `;
    const out = execFileSync('node', ['--input-type=module', '-e', script], {
      cwd: join(workDir, 'consumer'),
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({
      response: {
        completedOrderIds: [1],
        notFoundOrderIds: [2],
        unsuccessfulOrders: [],
        unsuccessfullyNotifiedOrders: [],
        unsuccessfullyUpdatedOrders: [],
        claimedElsewhereOrders: [],
      },
      notFound: true,
      code: 'ORDERS.NONE_FOUND',
    });
  });
});
