/**
 * One child process, watched: its output kept (bounded), waits for a line of it, and a stop
 * that asks first (SIGTERM) and insists after one grace period (SIGKILL).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { OutputBuffer, type OutputLimits } from './output-buffer.js';
import { failureTailLines, timeouts } from './timeouts.js';

export interface ProcessOptions {
  /** Names the process in failure messages. */
  name: string;
  /** The executable; default the running node. */
  command?: string;
  args: string[];
  cwd: string;
  /**
   * The child's environment on top of PATH and HOME only, so a developer's own settings
   * cannot leak into a test. With `inheritEnv`, on top of this process's environment.
   */
  env?: Record<string, string>;
  inheritEnv?: boolean;
  /**
   * Starts the child as the leader of its own process group; `stop()` and `kill()` then
   * signal the whole group (for a command such as `pnpm start` that starts others).
   */
  processGroup?: boolean;
  output?: OutputLimits;
}

export interface RunningProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** What it printed so far, stdout and stderr interleaved, bounded (see `OutputLimits`). */
  output(): string;
  /** The last lines of the output, for a failure message. */
  lastLines(count?: number): string;
  /**
   * Resolves with the match of the first output line matching `pattern` (lines printed
   * before the call count); rejects when the process ends first or after `timeoutMs`
   * (`Infinity`: no limit of its own).
   */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (null when a signal ended it), once its output is all read. */
  readonly exited: Promise<number | null>;
  /** Whether the process has not exited yet. */
  readonly running: boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once: no chance to clean up. Resolves when it has exited. */
  kill(): Promise<void>;
}

const started = new Set<RunningProcess>();

export function startProcess(options: ProcessOptions): RunningProcess {
  const { name } = options;
  const baseEnv = options.inheritEnv
    ? { ...process.env }
    : { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  const child = spawn(options.command ?? process.execPath, options.args, {
    cwd: options.cwd,
    env: { ...baseEnv, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.processGroup ?? false,
  });
  const buffer = new OutputBuffer(options.output);
  for (const [stream, readable] of [
    ['stdout', child.stdout],
    ['stderr', child.stderr],
  ] as const) {
    readable.setEncoding('utf8');
    readable.on('data', (chunk: string) => buffer.append(stream, chunk));
    readable.on('end', () => buffer.end(stream));
  }
  let running = true;
  child.once('exit', () => {
    running = false;
  });
  // 'close' comes after 'exit' and after both streams ended: the output is complete then.
  const exited = new Promise<number | null>((done) => {
    child.once('close', (code) => {
      running = false;
      started.delete(handle);
      done(code);
    });
  });
  // A spawn failure (no such command) ends the process too: report it as output.
  child.once('error', (error) => buffer.append('stderr', `${name}: ${error.message}\n`));

  const signal = (sig: NodeJS.Signals) => {
    if (!running) return;
    try {
      if (options.processGroup && child.pid !== undefined) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      // Gone between the check and the signal.
    }
  };

  const handle: RunningProcess = {
    name,
    child,
    pid: child.pid ?? -1,
    output: () => buffer.text(),
    lastLines: (count = failureTailLines) => buffer.lastLines(count),
    exited,
    get running() {
      return running;
    },
    waitFor(pattern, timeoutMs = timeouts.outputMs) {
      return new Promise((resolve, reject) => {
        let settled = false;
        const finish = (outcome: () => void) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          unsubscribe();
          outcome();
        };
        const check = (line: string) => {
          const match = line.match(pattern);
          if (match) finish(() => resolve(match));
        };
        const unsubscribe = buffer.onLine(check);
        // Infinity: no limit of its own (the test's timeout is the net).
        const timer = Number.isFinite(timeoutMs)
          ? setTimeout(
              () =>
                finish(() =>
                  reject(
                    new Error(
                      `${name} did not print ${pattern} within ${timeoutMs} ms:\n${buffer.lastLines(failureTailLines)}`,
                    ),
                  ),
                ),
              timeoutMs,
            )
          : undefined;
        for (const line of buffer.text().split('\n')) check(line);
        void exited.then(() =>
          finish(() =>
            reject(
              new Error(
                `${name} exited before printing ${pattern}:\n${buffer.lastLines(failureTailLines)}`,
              ),
            ),
          ),
        );
      });
    },
    async stop(graceMs = timeouts.stopGraceMs) {
      if (!running) return exited.then(() => undefined);
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      signal('SIGKILL');
      await exited;
    },
  };
  started.add(handle);
  return handle;
}

/** SIGKILLs every process started here that has not ended yet (for an `afterAll`). */
export async function killAll(): Promise<void> {
  await Promise.all([...started].map((p) => p.kill()));
}
