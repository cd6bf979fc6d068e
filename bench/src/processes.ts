/**
 * The real apps as child processes for the benchmark, over @ocs/test-support: extra node flags
 * (e.g. `--cpu-prof`), a smaller output buffer, a longer stop grace, the production build with
 * `compiled: true`, and peak RSS / CPU sampling from /proc/<pid>.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type AppName, appCommand, type RunningApp, startApp as start } from '@ocs/test-support';

export { type AppName, type RunningApp, repoRoot, waitForListening } from '@ocs/test-support';

export interface StartOptions {
  env: Record<string, string>;
  args?: string[];
  /** Flags for node itself, before the entry point (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
  /** Run `dist/main.js` instead of `src/main.ts` through tsx. */
  compiled?: boolean;
}

/** The first 64 KiB and the last 256 KiB of stdout and stderr: a run logs a lot. */
const outputLimits = { headChars: 64 * 1024, tailChars: 256 * 1024 };

/** With --cpu-prof the profile is written on exit, which takes longer than a plain stop. */
const stopGraceMs = 30_000;

export function appEntry(app: AppName, compiled = false): { cwd: string; argv: string[] } {
  const { cwd, args } = appCommand(app, { build: compiled ? 'dist' : 'source' });
  if (compiled) {
    const entry = resolve(cwd, 'dist/main.js');
    if (!existsSync(entry)) {
      throw new Error(`--compiled: ${entry} does not exist (build the apps first: pnpm build)`);
    }
  }
  return { cwd, argv: args };
}

export function startApp(app: AppName, options: StartOptions): RunningApp {
  appEntry(app, options.compiled);
  const running = start(app, {
    env: options.env,
    args: options.args ?? [],
    nodeFlags: options.nodeFlags ?? [],
    build: options.compiled ? 'dist' : 'source',
    output: outputLimits,
  });
  if (running.pid < 0) throw new Error(`could not start ${app}`);
  const stop = running.stop;
  return Object.assign(running, { stop: (graceMs = stopGraceMs) => stop(graceMs) });
}

export interface ProcessUsage {
  /** Peak resident set size in MB (VmHWM, or the largest VmRSS seen). */
  peakRssMb: number | null;
  /** User + system CPU seconds at the last sample. */
  cpuSeconds: number | null;
}

/** Reads VmHWM/VmRSS and utime+stime of a live process; null fields off Linux or once it is gone. */
export function readUsage(pid: number): ProcessUsage {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    const hwm = kb('VmHWM');
    const rss = kb('VmRSS');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name "(...)": state is field 3; utime 14 and stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const peak = Math.max(Number.isFinite(hwm) ? hwm : 0, Number.isFinite(rss) ? rss : 0);
    return {
      peakRssMb: peak > 0 ? round(peak / 1024, 1) : null,
      cpuSeconds: Number.isFinite(ticks) ? round(ticks / CLOCK_TICKS, 2) : null,
    };
  } catch {
    return { peakRssMb: null, cpuSeconds: null };
  }
}

/** CPU seconds the whole machine spent busy (all cores, /proc/stat); null off Linux. */
export function machineBusySeconds(): number | null {
  try {
    const [, ...ticks] =
      readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/) ?? [];
    const [user, nice, system, , , irq, softirq, steal] = ticks.map(Number);
    const busy = [user, nice, system, irq, softirq, steal].reduce<number>(
      (a, b) => a + (b ?? 0),
      0,
    );
    return round(busy / CLOCK_TICKS, 2);
  } catch {
    return null;
  }
}

/** The pid of a local MariaDB/MySQL server process, if one runs on this machine. */
export function localDatabasePid(): number | null {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (comm === 'mariadbd' || comm === 'mysqld') return Number(entry);
    }
  } catch {}
  return null;
}

/** USER_HZ; 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/**
 * Polls a process's usage every `intervalMs` until `stop()`, keeping the largest figures: the
 * peak of a short-lived process is the last VmHWM read before it exits.
 */
export function sampleUsage(pid: number, intervalMs = 100): { stop(): ProcessUsage } {
  let best: ProcessUsage = { peakRssMb: null, cpuSeconds: null };
  const sample = () => {
    const now = readUsage(pid);
    best = {
      peakRssMb: maxOrNull(best.peakRssMb, now.peakRssMb),
      cpuSeconds: maxOrNull(best.cpuSeconds, now.cpuSeconds),
    };
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      sample();
      clearInterval(timer);
      return best;
    },
  };
}

function maxOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

export const round = (value: number, digits = 2) => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};
