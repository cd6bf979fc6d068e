/**
 * Starts the real apps as child processes, the way apps/server/test/processes.ts does
 * (`node --import tsx src/main.ts` in apps/<app>), plus what a benchmark needs on top: extra
 * node flags (e.g. `--cpu-prof`), a bounded output buffer, and peak RSS / CPU sampling from
 * /proc/<pid>. With `compiled: true` it runs `node dist/main.js` instead (once the apps have a
 * build).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');

export type AppName = 'server' | 'notifier' | 'scheduler';

export interface StartOptions {
  env: Record<string, string>;
  args?: string[];
  /** Flags for node itself, before the entry point (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
  /** Run `dist/main.js` instead of `src/main.ts` through tsx. */
  compiled?: boolean;
}

export interface RunningApp {
  app: AppName;
  child: ChildProcess;
  pid: number;
  /** The first 64 KiB and the last 256 KiB of stdout and stderr, interleaved. */
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

const HEAD = 64 * 1024;
const TAIL = 256 * 1024;

export function appEntry(app: AppName, compiled = false): { cwd: string; argv: string[] } {
  const cwd = resolve(repoRoot, 'apps', app);
  if (!compiled)
    return { cwd, argv: ['--conditions=development', '--import', 'tsx', 'src/main.ts'] };
  const entry = resolve(cwd, 'dist/main.js');
  if (!existsSync(entry)) {
    throw new Error(`--compiled: ${entry} does not exist (build the apps first: pnpm build)`);
  }
  return { cwd, argv: [entry] };
}

export function startApp(app: AppName, options: StartOptions): RunningApp {
  const { cwd, argv } = appEntry(app, options.compiled);
  const child = spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), ...argv, ...(options.args ?? [])],
    {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (child.pid === undefined) throw new Error(`could not start ${app}`);
  let head = '';
  let tail = '';
  const listeners = new Set<() => void>();
  const onData = (data: Buffer) => {
    const text = data.toString('utf8');
    if (head.length < HEAD) head += text;
    else {
      tail += text;
      if (tail.length > 2 * TAIL) tail = tail.slice(-TAIL);
    }
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const output = () => (tail.length > TAIL ? `${head}\n[…]\n${tail.slice(-TAIL)}` : head + tail);

  return {
    app,
    child,
    pid: child.pid,
    output,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((done, fail) => {
        const check = () => {
          const match = output().match(pattern);
          if (match) {
            cleanup();
            done(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          fail(new Error(`${app} did not print ${pattern} within ${timeoutMs} ms:\n${output()}`));
        }, timeoutMs);
        const onExit = () => {
          check();
          cleanup();
          fail(new Error(`${app} exited before printing ${pattern}:\n${output()}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      // A generous grace period: with --cpu-prof the profile is written on exit.
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
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
