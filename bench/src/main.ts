/**
 * `pnpm bench [flags]`: see `--help` and docs/benchmarks.md. Every flag also
 * has a BENCH_* environment variable (flags win).
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { protocolNames, protocolSchema } from '@ocs/notifier-client';
import { defaultServerUrl } from './mariadb.js';
import { repoRoot } from './processes.js';
import { type BenchOptions, runBench } from './run.js';
import { defaultProfileDir } from './scenarios/shared.js';

const help = `pnpm bench [flags]

  --n N[,N...]          sizes for ours and the floor (repeatable)   BENCH_N          10000,100000
  --latency-ms MS       notifier latency (FAULT_LATENCY_MS)          BENCH_LATENCY_MS 20
  --protocol NAME       protocol of the runs at --n                  BENCH_PROTOCOL   v1
                        (${protocolNames.join(', ')})
  --original-n N        size of the original-design comparison      BENCH_ORIGINAL_N 2000
  --skip-original       no original design, no comparison runs at --original-n
  --skip-floor          no raw floor
  --profile             server child runs with --cpu-prof (bench/profiles; --profile-dir DIR)
  --source              run the apps' src/main.ts through tsx instead of building them
                        (turbo, cached) and running dist/main.js as a deployment does
  --keep-db             keep the ocs_bench_* databases
  --sql-proxy           count the server's statements exactly, through a TCP proxy in front
                        of MariaDB (it slows ours: 42 s instead of 32 s at 1M); without it
                        SQL counts come from SHOW GLOBAL STATUS, which counts every client
  --sql-digest          log every statement of ours' runs (MariaDB's slow log, long_query_time
                        0) and digest them with pt-query-digest into bench/profiles; local
                        MariaDB only, and not a timed run (the log slows the database)
  --out DIR             where <date>-<time>.json/.svg go             BENCH_OUT        bench/results
  --no-write            print only
  --logs DIR            write each run's server and scheduler output to DIR  BENCH_LOGS
  --server-env K=V      extra server env, e.g. NOTIFIER_CONCURRENCY=32 (repeatable)
  --scheduler-env K=V   extra scheduler env, e.g. BATCH_SIZE=2000 (repeatable)
  MariaDB: BENCH_MYSQL_URL or MYSQL_TEST_URL (default ${defaultServerUrl})`;

const { values } = parseArgs({
  options: {
    n: { type: 'string', multiple: true },
    'latency-ms': { type: 'string' },
    protocol: { type: 'string' },
    'original-n': { type: 'string' },
    'skip-original': { type: 'boolean' },
    'skip-floor': { type: 'boolean' },
    profile: { type: 'boolean' },
    'profile-dir': { type: 'string' },
    source: { type: 'boolean' },
    'keep-db': { type: 'boolean' },
    'sql-proxy': { type: 'boolean' },
    'sql-digest': { type: 'boolean' },
    out: { type: 'string' },
    'no-write': { type: 'boolean' },
    logs: { type: 'string' },
    'server-env': { type: 'string', multiple: true },
    'scheduler-env': { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  },
  allowPositionals: false,
});

if (values.help) {
  console.log(help);
  process.exit(0);
}

const env = process.env;
const flagOrEnv = (flag: string | undefined, name: string) =>
  flag ?? (env[name] === '' ? undefined : env[name]);
const truthy = (value: string | undefined) => value === 'true' || value === '1';

function count(text: string, what: string): number {
  const value = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < 1)
    fail(`${what}: expected a positive integer, got "${text}"`);
  return value;
}

function keyValues(list: string[] | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const at = item.indexOf('=');
    if (at < 1) fail(`${what}: expected KEY=VALUE, got "${item}"`);
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

/** The three apps and the packages they import, built by turbo (a cache hit when unchanged). */
function buildApps(): void {
  console.error('[bench] building the apps (pnpm build; --source runs them through tsx)');
  const filters = ['server', 'scheduler', 'notifier'].map((app) => `--filter=@ocs/${app}...`);
  execFileSync('pnpm', ['exec', 'turbo', 'run', 'build', ...filters, '--output-logs=errors-only'], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

function fail(message: string): never {
  console.error(`pnpm bench: ${message}\n\n${help}`);
  process.exit(1);
}

const nText = values.n?.join(',') ?? flagOrEnv(undefined, 'BENCH_N') ?? '10000,100000';
const protocolText = flagOrEnv(values.protocol, 'BENCH_PROTOCOL') ?? 'v1';
const parsedProtocol = protocolSchema.safeParse(protocolText);
if (!parsedProtocol.success)
  fail(`--protocol: expected ${protocolNames.join(' or ')}, got "${protocolText}"`);
const protocol = parsedProtocol.data;
const latencyText = flagOrEnv(values['latency-ms'], 'BENCH_LATENCY_MS') ?? '20';
const latencyMs = Number(latencyText);
if (!Number.isInteger(latencyMs) || latencyMs < 0)
  fail(`--latency-ms: expected an integer >= 0, got "${latencyText}"`);
const out = flagOrEnv(values.out, 'BENCH_OUT');
const profileDir =
  values['profile-dir'] ?? (values.profile || truthy(env.BENCH_PROFILE) ? defaultProfileDir : null);

const options: BenchOptions = {
  ns: nText
    .split(',')
    .filter(Boolean)
    .map((n) => count(n.trim(), '--n')),
  latencyMs,
  protocol,
  originalN: count(flagOrEnv(values['original-n'], 'BENCH_ORIGINAL_N') ?? '2000', '--original-n'),
  skipOriginal: values['skip-original'] ?? truthy(env.BENCH_SKIP_ORIGINAL),
  skipFloor: values['skip-floor'] ?? truthy(env.BENCH_SKIP_FLOOR),
  profileDir: profileDir ? resolve(repoRoot, profileDir) : null,
  compiled: !(values.source ?? truthy(env.BENCH_SOURCE)),
  keepDatabases: values['keep-db'] ?? truthy(env.BENCH_KEEP_DB),
  sqlProxy: values['sql-proxy'] ?? truthy(env.BENCH_SQL_PROXY),
  sqlDigestDir:
    (values['sql-digest'] ?? truthy(env.BENCH_SQL_DIGEST))
      ? resolve(repoRoot, values['profile-dir'] ?? defaultProfileDir)
      : null,
  logDir: ((dir) => (dir ? resolve(repoRoot, dir) : null))(flagOrEnv(values.logs, 'BENCH_LOGS')),
  outDir: values['no-write'] ? null : resolve(repoRoot, out ?? 'bench/results'),
  mysqlUrl: env.BENCH_MYSQL_URL || env.MYSQL_TEST_URL || defaultServerUrl,
  serverEnv: keyValues(values['server-env'], '--server-env'),
  schedulerEnv: keyValues(values['scheduler-env'], '--scheduler-env'),
};

try {
  if (options.compiled) buildApps();
  const { report } = await runBench(options);
  process.exit(report.allChecksPassed ? 0 : 3);
} catch (error) {
  console.error(`pnpm bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
