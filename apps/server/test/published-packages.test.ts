/**
 * The public packages as another service gets them: `pnpm pack` each one, install the
 * tarballs into a scratch project outside the monorepo (npm, no workspace links, no
 * @libsql/client), then (a) run the use case with requirements, the notifier client and
 * the MySQL repositories against MariaDB with plain `node`, and (b) typecheck a
 * `createTRPCClient<AppRouter>` call from @ocs/api with `tsc`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { checkMySqlTestServer, createMySqlTestDatabase, type TestDatabase } from '@ocs/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './processes.js';

const publicPackages = ['domain', 'requirements', 'notifier-client', 'db', 'api'];
const mysql = await checkMySqlTestServer();
const tsc = resolve(repoRoot, 'node_modules/typescript/bin/tsc');

let workDir: string;
let consumer: string;
const tarballs: Record<string, string> = {};

const listing = (pkg: string) =>
  execFileSync('tar', ['-tzf', tarballs[pkg] as string], { encoding: 'utf8' }).split('\n');
const manifest = (pkg: string) =>
  JSON.parse(
    execFileSync('tar', ['-xzOf', tarballs[pkg] as string, 'package/package.json'], {
      encoding: 'utf8',
    }),
  );

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'ocs-packages-'));
  for (const pkg of publicPackages) {
    execFileSync('pnpm', ['pack', '--pack-destination', workDir], {
      cwd: resolve(repoRoot, 'packages', pkg),
      stdio: 'pipe',
    });
    const file = readdirSync(workDir).find((f) => f.startsWith(`ocs-${pkg}-`));
    if (!file) throw new Error(`pnpm pack wrote no tarball for ${pkg}`);
    tarballs[pkg] = join(workDir, file);
  }
  consumer = join(workDir, 'consumer');
  mkdirSync(consumer);
  // Every @ocs/* dependency, direct or between the packages, comes from its tarball.
  const local = Object.fromEntries(
    publicPackages.map((pkg) => [`@ocs/${pkg}`, `file:${tarballs[pkg]}`]),
  );
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      private: true,
      type: 'module',
      dependencies: { ...local, '@trpc/client': '^11.1.0', superjson: '^2.2.0' },
      overrides: local,
    }),
  );
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts'], {
    cwd: consumer,
    stdio: 'pipe',
  });
}, 300_000);

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('the packed public packages', () => {
  it('ship compiled JavaScript, declarations, README and LICENSE; no sources, no tests', () => {
    for (const pkg of publicPackages) {
      const files = listing(pkg);
      expect(files, pkg).toEqual(expect.arrayContaining(['package/LICENSE', 'package/README.md']));
      expect(
        files.some((f) => f.endsWith('.d.ts')),
        pkg,
      ).toBe(true);
      expect(
        files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
        pkg,
      ).toEqual([]);
      expect(
        files.filter((f) => /\.test\.|\/test\/|tsconfig/.test(f)),
        pkg,
      ).toEqual([]);
    }
    expect(listing('db')).toContain('package/drizzle/mysql/0000_original_tables.sql');
  });

  it('point exports at dist, declare engines, and pin real versions', () => {
    for (const pkg of publicPackages) {
      const m = manifest(pkg);
      const text = JSON.stringify(m);
      expect(text, pkg).not.toMatch(/\.\/src\/|"development"|workspace:|catalog:/);
      expect(m.engines.node, pkg).toBe('>=20.19');
      for (const entry of Object.values(m.exports) as { default: string }[]) {
        expect(entry.default, pkg).toMatch(/^\.\/dist\/.*\.js$/);
      }
    }
    const db = manifest('db');
    expect(db.dependencies['@libsql/client']).toBeUndefined();
    expect(db.peerDependenciesMeta['@libsql/client']).toEqual({ optional: true });
  });

  it('a MySQL-only consumer does not get the embedded driver', () => {
    expect(existsSync(join(consumer, 'node_modules/@ocs/db/dist/client.js'))).toBe(true);
    expect(existsSync(join(consumer, 'node_modules/@libsql/client'))).toBe(false);
    // Importing the client never needs it; opening an embedded database says what to install.
    const script = `
      import { openDatabase } from '@ocs/db/client';
      try {
        openDatabase({ url: 'file:' + process.env.DB_FILE });
        console.log('opened');
      } catch (error) {
        console.log(error.message);
      }
    `;
    const out = execFileSync('node', ['--input-type=module', '-e', script], {
      cwd: consumer,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, DB_FILE: join(workDir, 'embedded.db') },
    });
    expect(out).toMatch(/needs the optional dependency @libsql\/client/);
  });

  describe.skipIf(!mysql.available)('on MariaDB', () => {
    let testDb: TestDatabase;
    let notifier: Server;
    let notifierUrl: string;
    const notified: string[] = [];

    beforeAll(async () => {
      testDb = await createMySqlTestDatabase();
      // The original notification API: GET /notify/{orderId} → 200.
      notifier = createServer((req, res) => {
        notified.push(req.url ?? '');
        res.writeHead(200).end();
      });
      await new Promise<void>((done) => notifier.listen(0, '127.0.0.1', done));
      notifierUrl = `http://127.0.0.1:${(notifier.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      notifier?.close();
      await testDb?.drop();
    });

    it('(a) plain node runs the use case with the requirements, the notifier client and @ocs/db', async () => {
      const script = `
        import { isTransientDatabaseError, openDatabase } from '@ocs/db/client';
        import { CompleteOrders, silentLogger, systemClock } from '@ocs/domain';
        import { createOrderNotifier } from '@ocs/notifier-client';
        import { defaultRequirements } from '@ocs/requirements';
        const db = openDatabase({ url: process.env.DATABASE_URL });
        try {
          await db.migrate();
          await db.seedDemo(systemClock.now());
          const notifier = createOrderNotifier({
            baseUrl: process.env.NOTIFIER_URL,
            protocol: 'legacy',
            keyNamespace: await db.installationId(),
          });
          const useCase = new CompleteOrders({
            repository: db.orders,
            ledger: db.ledger,
            calls: db.calls,
            notifier,
            requirements: defaultRequirements({ minimumAgeMonths: 6 }),
            clock: systemClock,
            databaseClock: db.clock,
            logger: silentLogger,
            newCallId: () => 'run-' + Date.now(),
            claimLeaseMs: 600000,
            isTransientError: isTransientDatabaseError,
          });
          const { response } = await useCase.execute([1, 2, 3, 4, 5]);
          await notifier.close();
          const states = (await db.orders.findByIds([1, 2, 3, 4, 5])).map((o) => [o.id, o.state]);
          console.log(JSON.stringify({ response, states }));
        } finally {
          await db.close();
        }
      `;
      // Asynchronously: the fake notifier answers from this process's event loop.
      const { stdout: out } = await promisify(execFile)(
        'node',
        ['--input-type=module', '-e', script],
        {
          cwd: consumer,
          encoding: 'utf8',
          env: { PATH: process.env.PATH, DATABASE_URL: testDb.url, NOTIFIER_URL: notifierUrl },
        },
      );
      const { response, states } = JSON.parse(out);
      expect(response.completedOrderIds).toEqual([2, 3]);
      expect(response.unsuccessfulOrders.map((o: { orderId: number }) => o.orderId)).toEqual([
        1, 4, 5,
      ]);
      expect(states).toEqual([
        [1, 'SUBMITTED'],
        [2, 'FINISHED'],
        [3, 'FINISHED'],
        [4, 'SUBMITTED'],
        [5, 'SUBMITTED'],
      ]);
      expect(notified.sort()).toEqual(['/notify/2', '/notify/3']);
    });
  });

  it('(b) tsc typechecks a createTRPCClient<AppRouter> call from @ocs/api, and catches a wrong one', () => {
    writeFileSync(
      join(consumer, 'client.ts'),
      `import type { AppRouter } from '@ocs/api';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import superjson from 'superjson';

const client = createTRPCClient<AppRouter>({
  links: [httpBatchLink({ url: 'http://127.0.0.1:5000/trpc', transformer: superjson })],
});

export async function completeAll(): Promise<number[]> {
  const result = await client.orders.complete.mutate({ orderIds: [1, 2, 3] });
  const callId: string = result.callId;
  const failed: number[] = result.unsuccessfulOrders.map((o) => o.orderId);
  const call = await client.calls.detail.query({ id: callId });
  const retryable: number[] = call.retryableOrderIds;
  const { orders } = await client.orders.list.query({ id: 1 });
  const ordered: Date | undefined = orders[0]?.orderDate;
  void retryable;
  void ordered;
  void failed;
  // @ts-expect-error order ids are numbers
  await client.orders.complete.mutate({ orderIds: ['1'] });
  return result.completedOrderIds;
}
`,
    );
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['client.ts'],
      }),
    );
    const result = (() => {
      try {
        return execFileSync('node', [tsc, '-p', '.'], { cwd: consumer, encoding: 'utf8' });
      } catch (error) {
        return `${(error as { stdout?: string }).stdout ?? error}`;
      }
    })();
    expect(result).toBe('');
  });
});
