/**
 * Throwaway databases for integration tests: one fresh MariaDB/MySQL database per suite on
 * MYSQL_TEST_URL, or a temp embedded file. Used by this package's tests and other packages' e2e tests.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createConnection } from 'mysql2/promise';
import { redactConnectionString } from '../connection-string.js';

export const defaultMySqlTestUrl = 'mysql://root@127.0.0.1:3306';

export function mySqlTestServerUrl(): string {
  return process.env.MYSQL_TEST_URL || defaultMySqlTestUrl;
}

export interface MySqlTestServer {
  available: boolean;
  /** Why the MySQL suites are skipped; null when available. */
  skipReason: string | null;
}

let probe: Promise<MySqlTestServer> | undefined;

/**
 * Whether MYSQL_TEST_URL answers, checked once per process. When it does not: throws if
 * CI=true (CI must run the MySQL suites), otherwise prints why, for `describe.skipIf`.
 */
export function checkMySqlTestServer(): Promise<MySqlTestServer> {
  probe ??= probeMySqlServer(mySqlTestServerUrl(), { ci: process.env.CI === 'true' });
  return probe;
}

export async function probeMySqlServer(
  url: string,
  options: { ci: boolean },
): Promise<MySqlTestServer> {
  try {
    const connection = await createConnection({ uri: url, connectTimeout: 3000 });
    await connection.end();
    return { available: true, skipReason: null };
  } catch (error) {
    const reason = `MariaDB/MySQL at ${redactConnectionString(url)} is not reachable (${
      error instanceof Error ? error.message : String(error)
    })`;
    if (options.ci) {
      throw new Error(
        `${reason}; CI=true, so the MySQL suites must run. Start MariaDB or set MYSQL_TEST_URL.`,
      );
    }
    console.warn(
      `Skipping MySQL integration suites: ${reason}. Set MYSQL_TEST_URL or start MariaDB.`,
    );
    return { available: false, skipReason: reason };
  }
}

export interface TestDatabase {
  /** Pass to `openDatabase({ url })`. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates `ocs_test_<random>` on MYSQL_TEST_URL; `drop()` removes it. */
export async function createMySqlTestDatabase(): Promise<TestDatabase> {
  const serverUrl = mySqlTestServerUrl();
  const name = `ocs_test_${randomBytes(6).toString('hex')}`;
  const admin = await createConnection({ uri: serverUrl });
  try {
    await admin.query(`CREATE DATABASE \`${name}\``);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const connection = await createConnection({ uri: serverUrl });
      try {
        await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await connection.end();
      }
    },
  };
}

/** A fresh embedded database file in a temp directory; `drop()` deletes the directory. */
export async function createEmbeddedTestDatabase(): Promise<TestDatabase> {
  const directory = await mkdtemp(join(tmpdir(), 'ocs-test-'));
  const path = join(directory, 'orders.db');
  return {
    url: pathToFileURL(path).toString(),
    name: path,
    drop: () => rm(directory, { recursive: true, force: true }),
  };
}
