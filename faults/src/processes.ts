/**
 * The real apps as child processes (`node --import tsx src/main.ts` in apps/<app>, the pattern
 * of apps/server/test/processes.ts), with `kill -9` and the exit code kept.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');

export type AppName = 'server' | 'notifier' | 'scheduler';

export interface RunningProcess {
  readonly app: AppName;
  readonly child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr), capped at the last 2 MB. */
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  readonly running: boolean;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** `kill -9`: no chance to clean up. */
  kill9(): Promise<void>;
}

const OUTPUT_CAP = 2 * 1024 * 1024;
const started = new Set<RunningProcess>();

export function startApp(
  app: AppName,
  env: Record<string, string>,
  args: string[] = [],
): RunningProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', 'src/main.ts', ...args],
    {
      cwd: resolve(repoRoot, 'apps', app),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (data: Buffer) => {
    output += data.toString('utf8');
    if (output.length > OUTPUT_CAP) output = output.slice(-OUTPUT_CAP / 2);
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let exitedFlag = false;
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      exitedFlag = true;
      started.delete(running);
      done(code);
    }),
  );

  const running: RunningProcess = {
    app,
    child,
    output: () => output,
    exited,
    get running() {
      return !exitedFlag;
    },
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((done, fail) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            cleanup();
            done(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          fail(
            new Error(`${app} did not print ${pattern} within ${timeoutMs} ms:\n${tail(output)}`),
          );
        }, timeoutMs);
        const onExit = () => {
          check();
          cleanup();
          fail(new Error(`${app} exited before printing ${pattern}:\n${tail(output)}`));
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
    async stop(graceMs = 5000) {
      if (exitedFlag) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill9() {
      if (exitedFlag) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  started.add(running);
  return running;
}

/** Kills every process this module started that is still running (for `afterAll`). */
export async function killAll(): Promise<void> {
  await Promise.all([...started].map((p) => p.kill9()));
}

export function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** Starts the notifier on a free port and resolves with its base URL. */
export async function startNotifier(
  env: Record<string, string> = {},
): Promise<{ process: RunningProcess; url: string }> {
  const process = startApp('notifier', { PORT: '0', LOG_LEVEL: 'info', ...env });
  const [, url] = await process.waitFor(/"url":"(http:\/\/[^"]+)".*"notifier listening"/);
  return { process, url: url as string };
}

/** Starts a server replica and resolves with its base URL once it listens. */
export async function startServer(
  env: Record<string, string>,
): Promise<{ process: RunningProcess; url: string }> {
  const process = startApp('server', env);
  const [, url] = await process.waitFor(/"url":"(http:\/\/[^"]+)".*"server listening"/, 90_000);
  return { process, url: url as string };
}
