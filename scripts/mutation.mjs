/**
 * `pnpm test:mutation [name…]`: runs StrykerJS (incremental) in each package below, one after
 * the other, then prints the per-package scores and writes reports/mutation/summary.json
 * beside each HTML report. Extra `--flags` go to every Stryker run (e.g. `--force` for a
 * full run). `pnpm test:mutation --report` only prints the table of the last runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const packages = [
  'packages/domain',
  'packages/requirements',
  'packages/notifier-client',
  'apps/scheduler',
];
const args = process.argv.slice(2);
const reportOnly = args.includes('--report');
const names = args.filter((a) => !a.startsWith('--'));
const flags = args.filter((a) => a.startsWith('--') && a !== '--report');
const selected = packages.filter((p) => names.length === 0 || names.some((n) => p.endsWith(n)));
const stryker = join(root, 'node_modules/.bin/stryker');

let failed = false;
if (!reportOnly) {
  for (const dir of selected) {
    console.log(`\n== stryker: ${dir}`);
    const started = Date.now();
    const run = spawnSync(stryker, ['run', '--incremental', ...flags], {
      cwd: join(root, dir),
      stdio: 'inherit',
    });
    console.log(`== ${dir}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    if (run.status !== 0) failed = true;
  }
}

/** Stryker's mutation score: detected / (detected + undetected), compile errors left out. */
function summarise(dir) {
  const file = join(root, dir, 'reports/mutation/mutation.json');
  if (!existsSync(file)) return null;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const count = {};
  for (const { mutants } of Object.values(report.files)) {
    for (const { status } of mutants) count[status] = (count[status] ?? 0) + 1;
  }
  const n = (status) => count[status] ?? 0;
  const detected = n('Killed') + n('Timeout');
  const undetected = n('Survived') + n('NoCoverage');
  const summary = {
    package: dir,
    score: detected + undetected === 0 ? 100 : (100 * detected) / (detected + undetected),
    killed: n('Killed'),
    timeout: n('Timeout'),
    survived: n('Survived'),
    noCoverage: n('NoCoverage'),
    ignored: n('Ignored'),
    errors: n('CompileError') + n('RuntimeError'),
    total: Object.values(count).reduce((a, b) => a + b, 0),
    threshold: report.thresholds?.low ?? null,
  };
  writeFileSync(
    join(root, dir, 'reports/mutation/summary.json'),
    `${JSON.stringify(summary, null, 2)}\n`,
  );
  return summary;
}

const rows = selected.map((dir) => summarise(dir) ?? { package: dir, score: null });
const pad = (v, w) => String(v).padStart(w);
console.log(
  `\n${'package'.padEnd(26)}${pad('score', 8)}${pad('killed', 8)}${pad('timeout', 8)}${pad('survived', 9)}${pad('no cov', 8)}${pad('total', 7)}`,
);
for (const r of rows) {
  if (r.score === null) {
    console.log(`${r.package.padEnd(26)}${pad('no report', 8)}`);
    continue;
  }
  console.log(
    `${r.package.padEnd(26)}${pad(`${r.score.toFixed(1)}%`, 8)}${pad(r.killed, 8)}${pad(r.timeout, 8)}${pad(r.survived, 9)}${pad(r.noCoverage, 8)}${pad(r.total, 7)}`,
  );
}
const below = rows.filter((r) => r.score !== null && r.threshold !== null && r.score < r.threshold);
for (const r of below) console.log(`below ${r.threshold}%: ${r.package}`);
process.exit(failed || below.length > 0 ? 1 : 0);
