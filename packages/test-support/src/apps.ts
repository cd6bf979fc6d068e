/**
 * This repository's apps as child processes: `node --conditions=development --import tsx
 * src/main.ts` in apps/<app> (the source, as in development), or `node dist/main.js` (the
 * production build), and the one way to know an app is ready: its "<app> listening" log line,
 * which carries the URL it listens on (PORT=0 lets the system pick a free port).
 */
import { resolve } from 'node:path';
import { type RunningProcess, startProcess } from './child-process.js';
import type { OutputLimits } from './output-buffer.js';
import { timeouts } from './timeouts.js';

export const repoRoot = resolve(import.meta.dirname, '../../..');

export type AppName = 'server' | 'notifier' | 'scheduler';

export interface AppOptions {
  env?: Record<string, string>;
  /** Arguments after the entry point (e.g. `run-once`). */
  args?: string[];
  /** Flags for node itself, before the entry point (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
  /** `source` (default): TypeScript through tsx; `dist`: the production build, plain node. */
  build?: 'source' | 'dist';
  /** Where to run from (e.g. a `pnpm deploy` directory); default apps/<app>. */
  cwd?: string;
  output?: OutputLimits;
}

export interface RunningApp extends RunningProcess {
  readonly app: AppName;
}

/** The working directory and node arguments that run `app`. */
export function appCommand(
  app: AppName,
  options: Pick<AppOptions, 'build' | 'cwd'> = {},
): { cwd: string; args: string[] } {
  const cwd = options.cwd ?? resolve(repoRoot, 'apps', app);
  const args =
    options.build === 'dist'
      ? ['dist/main.js']
      : ['--conditions=development', '--import', 'tsx', 'src/main.ts'];
  return { cwd, args };
}

export function startApp(app: AppName, options: AppOptions = {}): RunningApp {
  const { cwd, args } = appCommand(app, options);
  const running = startProcess({
    name: app,
    args: [...(options.nodeFlags ?? []), ...args, ...(options.args ?? [])],
    cwd,
    env: options.env ?? {},
    ...(options.output ? { output: options.output } : {}),
  });
  return Object.assign(running, { app });
}

/** The line an app logs once it accepts connections; its first group is the URL. */
export function listeningLine(app: AppName): RegExp {
  return new RegExp(`"url":"(http://[^"]+)".*"${app} listening"`);
}

/** Resolves with the app's base URL once it logs that it listens. */
export async function waitForListening(
  process: RunningApp,
  timeoutMs: number = timeouts.listenMs,
): Promise<string> {
  const [, url = ''] = await process.waitFor(listeningLine(process.app), timeoutMs);
  return url;
}

/** Starts an app that serves HTTP and resolves once it listens, with its base URL. */
export async function startListening(
  app: Exclude<AppName, 'scheduler'>,
  options: AppOptions = {},
): Promise<{ process: RunningApp; url: string }> {
  const process = startApp(app, options);
  return { process, url: await waitForListening(process) };
}
