/**
 * The per-scenario table and `fault-report.json` at the repository root
 * (`fault-report-galera.json` for the Galera mode, so one run does not erase the other's).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ScenarioCounts } from './invariants.js';
import { repoRoot } from './processes.js';

export interface ScenarioReport extends Omit<ScenarioCounts, 'examples'> {
  scenario: string;
  protocol: string;
  /** Whether every invariant held. */
  passed: boolean;
  failures: string[];
  durationMs: number;
  /** Bound on `resentAfterCrash` (kill -9 scenarios): concurrency x orders per request + one state write. */
  resentBound?: number;
  schedulerExitCodes?: number[];
  settleRuns?: number;
  notes?: string[];
  examples?: Record<string, string[]>;
  /** Scenario-specific figures (readiness latency, run deadline, take-overs, …). */
  figures?: Record<string, number | string | boolean | null>;
  /** Nemesis: the schedule's seed (`pnpm test:faults --seed N` replays it) and its timeline. */
  seed?: number;
  timeline?: string[];
}

export const reportPath = resolve(
  repoRoot,
  process.env.FAULTS_GALERA === 'true' ? 'fault-report-galera.json' : 'fault-report.json',
);
const reports: ScenarioReport[] = [];

export function addReport(report: ScenarioReport): void {
  reports.push(report);
  printTable([report]);
  writeReport();
}

export function writeReport(): void {
  writeFileSync(
    reportPath,
    `${JSON.stringify({ generatedAt: new Date().toISOString(), scenarios: reports }, null, 2)}\n`,
  );
  // Formatted as the repository's formatter would, so `biome check .` stays clean even where
  // the file is not ignored. Best effort: the report is written either way.
  spawnSync(resolve(repoRoot, 'node_modules/.bin/biome'), ['format', '--write', reportPath], {
    stdio: 'ignore',
    timeout: 10_000,
  });
}

const columns: [string, (r: ScenarioReport) => string | number][] = [
  ['scenario', (r) => r.scenario],
  ['proto', (r) => r.protocol],
  ['orders', (r) => r.orders],
  ['eligible', (r) => r.eligible],
  ['notifiedTwice', (r) => r.notifiedTwice],
  ['finishedWithoutNotif', (r) => r.finishedWithoutNotification],
  ['eligibleLeftUnfinished', (r) => r.eligibleLeftUnfinished],
  ['heldForOperator*', (r) => r.heldForOperator],
  ['lateAnswerRetry*', (r) => r.retriedAfterLateAnswer],
  ['unexpectedChanges', (r) => r.unexpectedChanges],
  ['5xx', (r) => r.fiveXx],
  ['storedTwice*', (r) => r.storedMoreThanOnce],
  ['retriedUnconfirmed', (r) => r.retriedUnconfirmed],
  [
    'resentAfterCrash',
    (r) => (r.resentAfterCrash === undefined ? '-' : `${r.resentAfterCrash}/${r.resentBound}`),
  ],
  ['s', (r) => (r.durationMs / 1000).toFixed(1)],
  ['result', (r) => (r.passed ? 'PASS' : 'FAIL')],
];

export function printTable(rows: ScenarioReport[] = reports): void {
  const cells = rows.map((r) => columns.map(([, get]) => String(get(r))));
  const widths = columns.map(([name], i) =>
    Math.max(name.length, ...cells.map((row) => (row[i] ?? '').length)),
  );
  const line = (values: string[]) =>
    `| ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const out = [
    line(columns.map(([name]) => name)),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...cells.map(line),
  ];
  out.push('(* information, not an invariant: see faults/README.md)');
  console.log(out.join('\n'));
}

export function allReports(): ScenarioReport[] {
  return reports;
}
