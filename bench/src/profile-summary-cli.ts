/**
 * `pnpm --filter @ocs/bench profile:summary [path] [--top N]`: self time of a `.cpuprofile`,
 * by function and by package. `path` is a profile or a directory of them (one per thread;
 * the busiest, the main thread, is summarised); default: the newest directory in
 * bench/profiles.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from './processes.js';
import { type CpuProfile, formatSummary, summariseProfile } from './profile-summary.js';
import { defaultProfileDir } from './scenarios/shared.js';

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '25' } },
  allowPositionals: true,
});

const byNewest = (paths: string[]) =>
  paths.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);

function newestDirectory(dir: string): string {
  const entries = byNewest(readdirSync(dir).map((name) => join(dir, name)));
  if (!entries[0]) throw new Error(`nothing in ${dir} (run pnpm bench --profile first)`);
  return entries[0];
}

const target = positionals[0]
  ? resolve(process.env.INIT_CWD ?? repoRoot, positionals[0])
  : newestDirectory(defaultProfileDir);
const files = statSync(target).isDirectory()
  ? readdirSync(target)
      .filter((name) => name.endsWith('.cpuprofile'))
      .map((name) => join(target, name))
  : [target];
if (files.length === 0) throw new Error(`no .cpuprofile in ${target}`);

const summaries = files.map((file) => ({
  file,
  summary: summariseProfile(
    JSON.parse(readFileSync(file, 'utf8')) as CpuProfile,
    Number(values.top),
  ),
}));
summaries.sort((a, b) => b.summary.busyMs - a.summary.busyMs);
const [main, ...others] = summaries;
if (main) console.log(formatSummary(main.summary, main.file));
for (const other of others) {
  console.log(`\n(other thread: ${other.file}: ${other.summary.busyMs} ms busy)`);
}
