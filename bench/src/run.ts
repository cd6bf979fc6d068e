/** Runs every scenario of one `pnpm bench` invocation, prints the table, writes JSON + SVG. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { protocolNames } from '@ocs/notifier-client';
import type { RowDataPacket } from 'mysql2/promise';
import { type ChartSeries, renderChart } from './chart.js';
import { cloneDatabase, type SeededDatabase, seedDatabase, withConnection } from './mariadb.js';
import { appEntry, repoRoot, round } from './processes.js';
import { runFloor } from './scenarios/floor.js';
import { runOriginal } from './scenarios/original.js';
import { runOurs } from './scenarios/ours.js';
import type { BenchContext, Protocol, ScenarioResult } from './scenarios/shared.js';

export interface BenchOptions {
  /** Sizes for ours and the floor. */
  ns: number[];
  latencyMs: number;
  /** Protocol of the runs at `ns` (the N = originalN comparison runs both). */
  protocol: Protocol;
  originalN: number;
  /** Skip the original design and the comparison runs at `originalN`. */
  skipOriginal: boolean;
  skipFloor: boolean;
  profileDir: string | null;
  compiled: boolean;
  keepDatabases: boolean;
  /**
   * Count the server's statements through a proxy; false (default): global counters only.
   * The proxy is in ours' path alone, so its figures are not timed like the floor's.
   */
  sqlProxy: boolean;
  /** Where each run's server and scheduler output goes; null: nowhere. */
  logDir: string | null;
  /** Digest ours' statements into this directory (MariaDB's slow log + pt-query-digest). */
  sqlDigestDir?: string | null;
  /** Where `<date>-<time>.json` and `.svg` go; null: write nothing. */
  outDir: string | null;
  mysqlUrl: string;
  serverEnv: Record<string, string>;
  schedulerEnv: Record<string, string>;
  log?: (line: string) => void;
}

export interface Comparisons {
  /** ours / floor at each N (same protocol as the N runs). */
  oursOverFloor: Record<string, number>;
  /** original / ours at originalN, per protocol. */
  originalOverOurs: Partial<Record<Protocol, number>>;
}

export interface BenchReport {
  benchmark: 'order-completion';
  date: string;
  machine: Record<string, unknown>;
  settings: Omit<BenchOptions, 'log' | 'mysqlUrl'> & { mix: string };
  results: ScenarioResult[];
  comparisons: Comparisons;
  allChecksPassed: boolean;
  notes: string[];
}

export interface BenchOutcome {
  report: BenchReport;
  jsonFile: string | null;
  svgFile: string | null;
}

export async function runBench(options: BenchOptions): Promise<BenchOutcome> {
  const log = options.log ?? ((line: string) => console.error(`[bench] ${line}`));
  const ctx: BenchContext = {
    mysqlUrl: options.mysqlUrl,
    now: new Date(),
    latencyMs: options.latencyMs,
    compiled: options.compiled,
    profileDir: options.profileDir,
    serverEnv: options.serverEnv,
    schedulerEnv: options.schedulerEnv,
    keepDatabases: options.keepDatabases,
    sqlProxy: options.sqlProxy,
    logDir: options.logDir,
    sqlDigestDir: options.sqlDigestDir ?? null,
    log,
  };
  // Fail before seeding anything when --compiled has nothing to run.
  if (options.compiled)
    for (const app of ['notifier', 'server', 'scheduler'] as const) appEntry(app, true);
  const date = new Date();
  const results: ScenarioResult[] = [];
  const record = (result: ScenarioResult) => {
    results.push(result);
    log(
      `${label(result)} N=${result.n}: ${result.seconds} s, ${result.ordersPerSecond} orders/s, checks ${
        result.checks.passed ? 'passed' : `FAILED: ${result.checks.problems.join('; ')}`
      }`,
    );
  };

  // One seed per N; every other scenario at that N gets a server-side copy of it, taken
  // before anything runs, so all of them start from exactly the same data.
  const prepare = async (n: number, copies: number): Promise<SeededDatabase[]> => {
    log(`N=${n}: seeding`);
    const seeded = await seedDatabase(options.mysqlUrl, n, ctx.now);
    const all = [seeded];
    try {
      for (let i = 0; i < copies; i++) all.push(await cloneDatabase(options.mysqlUrl, seeded));
    } catch (error) {
      await Promise.all(all.map((db) => db.drop()));
      throw error;
    }
    return all;
  };
  const dropAll = (dbs: SeededDatabase[]) =>
    options.keepDatabases ? undefined : Promise.all(dbs.map((db) => db.drop().catch(() => {})));

  if (!options.skipOriginal) {
    const withFloor = !options.skipFloor && !options.ns.includes(options.originalN);
    // The seeded database for the original, a copy per protocol and one for the floor.
    const dbs = await prepare(options.originalN, protocolNames.length + (withFloor ? 1 : 0));
    try {
      const [forOriginal, ...forOurs] = dbs as [SeededDatabase, ...SeededDatabase[]];
      record(await runOriginal(ctx, forOriginal));
      for (const [i, protocol] of protocolNames.entries()) {
        record(await runOurs(ctx, forOurs[i] as SeededDatabase, protocol));
      }
      const forFloor = forOurs[protocolNames.length];
      if (forFloor) record(await runFloor(ctx, forFloor));
    } finally {
      await dropAll(dbs);
    }
  }
  for (const n of options.ns) {
    const dbs = await prepare(n, options.skipFloor ? 0 : 1);
    try {
      const [forOurs, forFloor] = dbs as [SeededDatabase, SeededDatabase | undefined];
      record(await runOurs(ctx, forOurs, options.protocol));
      if (forFloor) record(await runFloor(ctx, forFloor));
    } finally {
      await dropAll(dbs);
    }
  }

  const report: BenchReport = {
    benchmark: 'order-completion',
    date: date.toISOString(),
    machine: await machine(options.mysqlUrl),
    settings: {
      ns: options.ns,
      latencyMs: options.latencyMs,
      protocol: options.protocol,
      originalN: options.originalN,
      skipOriginal: options.skipOriginal,
      skipFloor: options.skipFloor,
      profileDir: options.profileDir ? relative(repoRoot, options.profileDir) : null,
      compiled: options.compiled,
      keepDatabases: options.keepDatabases,
      sqlProxy: options.sqlProxy,
      logDir: options.logDir ? relative(repoRoot, options.logDir) : null,
      sqlDigestDir: options.sqlDigestDir ? relative(repoRoot, options.sqlDigestDir) : null,
      outDir: options.outDir ? relative(repoRoot, options.outDir) : null,
      serverEnv: options.serverEnv,
      schedulerEnv: options.schedulerEnv,
      mix: 'realisticMix of @ocs/db (70% eligible, 10% too recent, 10% not delivered, 2% no lines, 8% finished), 2 lines per order',
    },
    results,
    comparisons: compare(results, options),
    allChecksPassed: results.every((r) => r.checks.passed),
    notes: [
      'ours.seconds is the scheduler run duration it logs ("run finished" durationMs); wallSeconds adds its process start-up.',
      'ordersPerSecond = N / seconds (every seeded order is fetched and checked).',
      'data: seeded once per N; the other scenarios at that N run on server-side copies (INSERT ... SELECT) taken before anything runs; seedSeconds is the seed or the copy.',
      "sql: this scenario's statements alone, null unless --sql-proxy. ours: counted on the wire by a TCP proxy between the server and MariaDB (client command packets: COM_QUERY by verb, COM_STMT_EXECUTE), from just before run-once starts to its exit; floor and original: counted where they send them. Without the proxy (the default, so that ours is timed on the same direct connection as the floor and the original) globalStatus has the server-wide counters over the same window.",
      'globalStatus: deltas of SHOW GLOBAL STATUS (Com_*, Questions) over the same window; global to the MariaDB server, so other clients of a shared server are included (backgroundQuestionsPerSecond is measured just before).',
      'peak RSS is VmHWM from /proc/<pid>/status, polled every 100 ms (the scheduler last sampled just before it exits).',
      'floor: mysql2 only, SELECT orders and lines by IN-lists of 5,000, requirements in JS, one guarded UPDATE per chunk, no notification.',
      'original: one SELECT (orders LEFT JOIN lines), sequential GET /notify/{id} to the notifier app, one guarded UPDATE.',
    ],
  };

  printTable(report);
  let jsonFile: string | null = null;
  let svgFile: string | null = null;
  if (options.outDir) {
    mkdirSync(options.outDir, { recursive: true });
    const stem = stamp(date);
    jsonFile = join(options.outDir, `${stem}.json`);
    svgFile = join(options.outDir, `${stem}.svg`);
    writeFileSync(jsonFile, formatJson(report));
    writeFileSync(svgFile, chartOf(report));
    log(`wrote ${relative(repoRoot, jsonFile)} and ${relative(repoRoot, svgFile)}`);
  }
  return { report, jsonFile, svgFile };
}

function label(result: ScenarioResult): string {
  return result.scenario === 'ours' ? `ours (${result.protocol})` : result.scenario;
}

function compare(results: ScenarioResult[], options: BenchOptions): Comparisons {
  const find = (scenario: string, n: number, protocol?: Protocol) =>
    results.find(
      (r) =>
        r.scenario === scenario && r.n === n && (protocol === undefined || r.protocol === protocol),
    );
  const oursOverFloor: Record<string, number> = {};
  for (const n of options.ns) {
    const ours = find('ours', n, options.protocol);
    const floor = find('floor', n);
    if (ours && floor) oursOverFloor[n] = round(ours.seconds / floor.seconds, 1);
  }
  const originalOverOurs: Partial<Record<Protocol, number>> = {};
  const original = find('original', options.originalN);
  if (original) {
    for (const protocol of protocolNames) {
      const ours = find('ours', options.originalN, protocol);
      if (ours) originalOverOurs[protocol] = round(original.seconds / ours.seconds, 1);
    }
  }
  return { oursOverFloor, originalOverOurs };
}

const oursColors = ['#1f6feb', '#8250df', '#bf8700'];

export function chartOf(report: BenchReport): string {
  const points = (scenario: string, protocol: Protocol | null) =>
    report.results
      .filter((r) => r.scenario === scenario && (protocol === null || r.protocol === protocol))
      .map((r) => ({ n: r.n, seconds: r.seconds }));
  const main = report.settings.protocol;
  // The protocol of the N runs first, then the others (only run at the original's N).
  const ours = [main, ...protocolNames.filter((protocol) => protocol !== main)];
  const series: ChartSeries[] = [
    ...ours.map((protocol, i) => ({
      label: `ours (${protocol})`,
      color: oursColors[i % oursColors.length] as string,
      points: points('ours', protocol),
    })),
    { label: 'raw floor (mysql2)', color: '#1a7f37', points: points('floor', null) },
    {
      label: 'original (dashed: × N)',
      color: '#cf222e',
      points: points('original', null),
      extrapolate: true,
    },
  ].filter((s) => s.points.length > 0);
  return renderChart(series, {
    title: 'Completing N orders: time against N',
    subtitle: `notifier latency ${report.settings.latencyMs} ms · MariaDB · ${report.machine.cpus} cores · ${report.date.slice(0, 16).replace('T', ' ')} UTC · ours = run-once → server → DB + notifier`,
  });
}

function stamp(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)}-${iso.slice(11, 19).replace(/:/g, '')}`;
}

async function machine(mysqlUrl: string): Promise<Record<string, unknown>> {
  const version = await withConnection(mysqlUrl, async (c) => {
    const [rows] = await c.query<RowDataPacket[]>('SELECT VERSION() AS v');
    return rows[0]?.v as string;
  }).catch(() => null);
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    mariadb: version,
  };
}

const pad = (text: string | number, width: number) => String(text).padStart(width);

export function printTable(report: BenchReport): void {
  const header = [
    pad('scenario', 14),
    pad('N', 8),
    pad('eligible', 8),
    pad('seconds', 8),
    pad('orders/s', 9),
    pad('srv MB', 7),
    pad('sch MB', 7),
    pad('srv cpu', 7),
    pad('SQL stmts', 9),
    pad('notif req', 9),
    pad('load', 5),
    '  checks',
  ].join(' ');
  const lines = [header, '-'.repeat(header.length)];
  for (const r of report.results) {
    lines.push(
      [
        pad(label(r), 14),
        pad(r.n, 8),
        pad(r.eligible, 8),
        pad(r.seconds.toFixed(2), 8),
        pad(r.ordersPerSecond, 9),
        pad(r.server?.peakRssMb ?? '-', 7),
        pad(r.scheduler?.peakRssMb ?? '-', 7),
        pad(r.server?.cpuSeconds ?? '-', 7),
        pad(r.sql?.statements ?? `~${r.globalStatus.questions}`, 9),
        pad(r.notifier?.requests ?? '-', 9),
        pad(r.loadAverage.toFixed(1), 5),
        `  ${r.checks.passed ? 'ok' : `FAILED: ${r.checks.problems.join('; ')}`}`,
      ].join(' '),
    );
  }
  for (const r of report.results) {
    if (!r.cpu) continue;
    const { machineBusy, server, database, notifier } = r.cpu;
    const show = (v: number | null) => (v === null ? '?' : `${v.toFixed(1)} s`);
    lines.push(
      `cpu during ${label(r)} N=${r.n}: machine ${show(machineBusy)} busy of ${(r.wallSeconds * cpus().length).toFixed(1)} s (${cpus().length} cores), server ${show(server)}, database ${show(database)}, notifier ${show(notifier)}`,
    );
  }
  const { oursOverFloor, originalOverOurs } = report.comparisons;
  for (const [n, ratio] of Object.entries(oursOverFloor)) {
    lines.push(`ours / floor at N=${n}: ${ratio}x`);
  }
  for (const [protocol, ratio] of Object.entries(originalOverOurs)) {
    lines.push(`original / ours (${protocol}) at N=${report.settings.originalN}: ${ratio}x faster`);
  }
  console.log(lines.join('\n'));
}

/**
 * JSON.stringify with two spaces, arrays of plain values on one line when they fit in 100
 * columns: the layout the repository's formatter (biome) gives, so `pnpm lint` accepts the
 * committed results as written.
 */
export function formatJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  const collapsed = text.replace(
    /^( *)(.*)\[\n((?: *(?:"(?:[^"\\]|\\.)*"|-?[\d.eE+-]+|true|false|null),?\n)+) *\]/gm,
    (whole, indent: string, head: string, body: string) => {
      const items = body
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean);
      const line = `${indent}${head}[${items.join(' ')}]`;
      return line.length <= 100 ? line : whole;
    },
  );
  return `${collapsed}\n`;
}
