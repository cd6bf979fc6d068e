import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, notifierConcurrency } from './config.js';

const tokens = 'scheduler-token-0123456789:scheduler,admin-token-0123456789abc:admin';

describe('loadConfig', () => {
  it('gives the defaults with only the tokens set', () => {
    const config = loadConfig({ AUTH_TOKENS: tokens });
    expect(config.port).toBe(5000);
    expect(config.limits.maxIdsPerCall).toBe(10000);
    expect(config.notifier).toMatchObject({ baseUrl: 'http://127.0.0.1:5002', maxAttempts: 4 });
    expect(config.auth.tokens).toEqual([
      { token: 'scheduler-token-0123456789', role: 'scheduler' },
      { token: 'admin-token-0123456789abc', role: 'admin' },
    ]);
  });

  it('defaults the requests in flight by protocol, unless NOTIFIER_CONCURRENCY is set', () => {
    const concurrency = (env: Record<string, string>) =>
      notifierConcurrency(loadConfig({ AUTH_TOKENS: tokens, ...env }).notifier);
    expect(concurrency({})).toBe(8);
    // v1's default window: 8 requests of 200 orders, the 1,600 orders in flight of before.
    expect(loadConfig({ AUTH_TOKENS: tokens }).notifier.batchSize).toBe(200);
    expect(concurrency({ NOTIFIER_PROTOCOL: 'legacy' })).toBe(64);
    expect(concurrency({ NOTIFIER_PROTOCOL: 'legacy', NOTIFIER_CONCURRENCY: '4' })).toBe(4);
    expect(concurrency({ NOTIFIER_CONCURRENCY: '64' })).toBe(64);
  });

  it('stops on a bad value with one message naming the key', () => {
    expect(() => loadConfig({ AUTH_TOKENS: tokens, NOTIFIER_MAX_ATTEMPTS: 'many' })).toThrow(
      /NOTIFIER_MAX_ATTEMPTS \(notifier\.maxAttempts\)/,
    );
    expect(() => loadConfig({ AUTH_TOKENS: tokens, PORT: '70000' })).toThrow(ConfigError);
  });

  it('requires tokens and never echoes one back', () => {
    expect(() => loadConfig({})).toThrow(/AUTH_TOKENS/);
    let message = '';
    try {
      loadConfig({ AUTH_TOKENS: 'short-secret:admin' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/AUTH_TOKENS.*at least 16/);
    expect(message).not.toContain('short-secret');
  });

  it('takes the notifier limits from the notifier client and names the env key', () => {
    expect(() => loadConfig({ AUTH_TOKENS: tokens, NOTIFIER_BATCH_SIZE: '600' })).toThrow(
      /NOTIFIER_BATCH_SIZE \(notifier\.batchSize\)/,
    );
    expect(loadConfig({ AUTH_TOKENS: tokens, NOTIFIER_BATCH_SIZE: '20' }).notifier.batchSize).toBe(
      20,
    );
  });

  it('builds the MySQL URL from the parts, encoding the password', () => {
    const config = loadConfig({
      AUTH_TOKENS: tokens,
      DB_HOST: 'db.example',
      DB_USER: 'app',
      DB_PASSWORD: 'p@ss:w/rd#1',
      DB_NAME: 'orders',
    });
    expect(config.database.url).toBe('mysql://app:p%40ss%3Aw%2Frd%231@db.example:3306/orders');
  });

  it('takes the hosts of a cluster in DB_HOST, in order, with DB_PORT for those without one', () => {
    const config = loadConfig({
      AUTH_TOKENS: tokens,
      DB_HOST: 'g1,g2:3307,g3',
      DB_PORT: '3310',
      DB_USER: 'app',
      DB_NAME: 'orders',
    });
    expect(config.database.url).toBe('mysql://app@g1:3310,g2:3307,g3:3310/orders');
  });

  it('names the bad entry of a host list, under DB_HOST', () => {
    expect(() =>
      loadConfig({ AUTH_TOKENS: tokens, DB_HOST: 'g1,g 2', DB_USER: 'app', DB_NAME: 'orders' }),
    ).toThrow(/DB_HOST \(database\.host\).*entry 2 of 2: "g 2"/s);
  });

  it('names a missing part instead of falling back to the embedded database', () => {
    let message = '';
    try {
      loadConfig({ AUTH_TOKENS: tokens, DB_HOST: 'db.example', DB_PASSWORD: 'hunter2-secret' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/DB_USER \(database\.user\)/);
    expect(message).not.toContain('hunter2-secret');
  });

  it('uses the embedded database when no database setting is given', () => {
    expect(loadConfig({ AUTH_TOKENS: tokens }).database.url).toBe('file:.data/orders.db');
  });

  it('rejects an unknown role', () => {
    expect(() => loadConfig({ AUTH_TOKENS: 'a-long-enough-token-123:root' })).toThrow(
      /AUTH_TOKENS/,
    );
  });

  it('reads the settings file, and the environment wins over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ocs-config-'));
    const file = join(dir, 'appsettings.json');
    writeFileSync(
      file,
      JSON.stringify({ notifier: { maxAttempts: 5, initialDelayMs: 4000 }, port: 6000 }),
    );
    const config = loadConfig({ AUTH_TOKENS: tokens, SETTINGS_FILE: file, PORT: '7000' });
    expect(config.notifier.maxAttempts).toBe(5);
    expect(config.notifier.initialDelayMs).toBe(4000);
    expect(config.port).toBe(7000);
  });

  it('names the settings file when it is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ocs-config-'));
    const file = join(dir, 'appsettings.json');
    writeFileSync(file, '{ nope');
    expect(() => loadConfig({ AUTH_TOKENS: tokens, SETTINGS_FILE: file })).toThrow(
      /SETTINGS_FILE .*appsettings\.json is not valid JSON/,
    );
  });
});

describe('the claim lease check', () => {
  // The fault suite's servers (faults/src/cluster.ts defaultServerEnv).
  const faultSuite = {
    AUTH_TOKENS: tokens,
    CLAIM_LEASE_MS: '7000',
    LEDGER_WRITE_RETRY_MS: '1500',
    SHUTDOWN_GRACE_MS: '2000',
    NOTIFIER_MAX_ATTEMPTS: '2',
    NOTIFIER_ATTEMPT_TIMEOUT_MS: '1500',
    NOTIFIER_LEGACY_TIMEOUT_MS: '1500',
    NOTIFIER_MAX_DELAY_MS: '150',
    NOTIFIER_INITIAL_DELAY_MS: '50',
  };

  it('by default: a 5-minute call deadline inside the 10-minute lease, 10 s per statement', () => {
    const config = loadConfig({ AUTH_TOKENS: tokens });
    expect(config.completion.deadlineMs).toBe(300_000);
    expect(config.database).toMatchObject({
      queryTimeoutMs: 10_000,
      pingTimeoutMs: 800,
      probeIntervalMs: 1000,
    });
  });

  it('defaults the call deadline to what the lease leaves after its other terms, at most half', () => {
    // 120 s lease: 120,000 - (5,000 attempt + 60,000 write retry + 2 x 10,000) = 35,000.
    expect(
      loadConfig({ AUTH_TOKENS: tokens, CLAIM_LEASE_MS: '120000' }).completion.deadlineMs,
    ).toBe(35_000);
    // The fault suite with 1 s statements: 7,000 - (1,500 + 1,500 + 2,000) = 2,000.
    expect(loadConfig({ ...faultSuite, DB_QUERY_TIMEOUT_MS: '1000' }).completion.deadlineMs).toBe(
      2000,
    );
    // The db-connections-killed scenario: 25,000 - (1,500 + 12,000 + 2,000) = 9,500.
    expect(
      loadConfig({
        ...faultSuite,
        DB_QUERY_TIMEOUT_MS: '1000',
        LEDGER_WRITE_RETRY_MS: '12000',
        CLAIM_LEASE_MS: '25000',
      }).completion.deadlineMs,
    ).toBe(9500);
  });

  it('stops start-up when the lease cannot hold the statement deadlines, naming every term', () => {
    let message = '';
    try {
      loadConfig(faultSuite); // 10 s statements do not fit in a 7 s lease
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/CLAIM_LEASE_MS \(completion\.claimLeaseMs\)/);
    expect(message).toMatch(
      /COMPLETION_DEADLINE_MS \(3500\) \+ the notification attempt in flight at the deadline \(1500\) \+ LEDGER_WRITE_RETRY_MS \(1500\) \+ 2 x DB_QUERY_TIMEOUT_MS \(20000\) = 26500 ms/,
    );
  });

  it('rejects an explicit call deadline the lease cannot hold, and accepts one it can', () => {
    const fits = { ...faultSuite, DB_QUERY_TIMEOUT_MS: '1000' };
    expect(() => loadConfig({ ...fits, COMPLETION_DEADLINE_MS: '2500' })).toThrow(
      /CLAIM_LEASE_MS .*must be at least 7500 ms/,
    );
    expect(loadConfig({ ...fits, COMPLETION_DEADLINE_MS: '1500' }).completion.deadlineMs).toBe(
      1500,
    );
  });

  it('keeps the older terms: twice the worst notification of one order', () => {
    expect(() =>
      loadConfig({
        ...faultSuite,
        DB_QUERY_TIMEOUT_MS: '500',
        COMPLETION_DEADLINE_MS: '500',
        NOTIFIER_MAX_ATTEMPTS: '3',
      }),
    ).toThrow(/must be at least 9900 ms/);
  });

  it('names a bad deadline key', () => {
    expect(() => loadConfig({ AUTH_TOKENS: tokens, DB_QUERY_TIMEOUT_MS: 'soon' })).toThrow(
      /DB_QUERY_TIMEOUT_MS \(database\.queryTimeoutMs\)/,
    );
  });
});
