/** Starts the real apps as child processes for end-to-end tests, and stops them. */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../../..');

export interface RunningProcess {
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the first match of `pattern` in the output. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** `source` (default): TypeScript through tsx; `dist`: the production build, plain node. */
  build?: 'source' | 'dist';
  /** Where to run `dist/main.js` from (a `pnpm deploy` directory); default the app's folder. */
  cwd?: string;
}

export function startApp(
  app: 'server' | 'notifier' | 'scheduler',
  env: Record<string, string>,
  args: string[] = [],
  options: StartOptions = {},
): RunningProcess {
  const nodeArgs =
    options.build === 'dist'
      ? ['dist/main.js', ...args]
      : ['--conditions=development', '--import', 'tsx', 'src/main.ts', ...args];
  const child = spawn(process.execPath, nodeArgs, {
    cwd: options.cwd ?? resolve(repoRoot, 'apps', app),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (data: Buffer) => {
    output += data.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));

  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
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
          fail(new Error(`${app} did not print ${pattern} within ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        const onExit = () => {
          check();
          cleanup();
          fail(new Error(`${app} exited before printing ${pattern}:\n${output}`));
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
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
