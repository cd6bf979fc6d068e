/**
 * The runner works end to end (not a benchmark: no timings are asserted): N = 200, notifier
 * latency 0, no original design, into a temp directory.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkMySqlTestServer, mySqlTestServerUrl } from '@ocs/db/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { type BenchReport, runBench } from '../src/run.js';

const mysql = await checkMySqlTestServer();
const outDir = mkdtempSync(join(tmpdir(), 'ocs-bench-smoke-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe.skipIf(!mysql.available)('pnpm bench (smoke, N=200, latency 0)', () => {
  it('completes every eligible order once through the real processes, beside the floor', async () => {
    const { report, jsonFile, svgFile } = await runBench({
      ns: [200],
      latencyMs: 0,
      protocol: 'v1',
      originalN: 2000,
      skipOriginal: true,
      skipFloor: false,
      profileDir: null,
      compiled: false,
      keepDatabases: false,
      sqlProxy: true,
      logDir: null,
      outDir,
      mysqlUrl: mySqlTestServerUrl(),
      serverEnv: {},
      schedulerEnv: {},
      log: () => {},
    });

    expect(report.results.map((r) => `${r.scenario}:${r.protocol}:${r.n}`)).toEqual([
      'ours:v1:200',
      'floor:null:200',
    ]);
    for (const result of report.results) {
      expect(result.checks.problems).toEqual([]);
      expect(result.eligible).toBeGreaterThan(100);
      expect(result.checks.database.eligibleFinished).toBe(result.eligible);
    }
    const ours = report.results[0];
    expect(ours?.checks.notifications?.eligibleNotifiedOnce).toBe(ours?.eligible);
    expect(ours?.notifier?.requests).toBeGreaterThan(0);
    expect(ours?.scheduler?.exitCode).toBe(0);
    expect(ours?.sql?.statements).toBeGreaterThan(0);
    expect(ours?.sql?.update).toBeGreaterThan(0);
    expect(report.results[1]?.sql?.select).toBe(2);
    expect(report.allChecksPassed).toBe(true);

    expect(jsonFile && existsSync(jsonFile)).toBe(true);
    const written = JSON.parse(readFileSync(jsonFile as string, 'utf8')) as BenchReport;
    expect(written.results).toHaveLength(2);
    expect(readFileSync(svgFile as string, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  });
});
