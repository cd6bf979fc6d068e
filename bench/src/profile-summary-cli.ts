/**
 * `pnpm --filter @ocs/bench profile:summary [file.cpuprofile] [--top N]`: self time of a
 * `.cpuprofile`, by function and by package. Without a file: the newest in bench/profiles.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from './processes.js';
import { type CpuProfile, formatSummary, summariseProfile } from './profile-summary.js';
import { defaultProfileDir } from './scenarios.js';

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '25' } },
  allowPositionals: true,
});

function newest(dir: string): string {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(dir, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!files[0]) throw new Error(`no .cpuprofile in ${dir} (run pnpm bench --profile first)`);
  return files[0];
}

const file = positionals[0]
  ? resolve(process.env.INIT_CWD ?? repoRoot, positionals[0])
  : newest(defaultProfileDir);
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
console.log(formatSummary(summariseProfile(profile, Number(values.top)), file));
