/**
 * The real apps as child processes for the server's end-to-end tests: the signature these
 * tests grew up with, over @ocs/test-support (which owns the waits, output and stopping).
 */
import { type AppName, type RunningApp, startApp as start } from '@ocs/test-support';

export { freePort, repoRoot, waitForListening, waitUntil } from '@ocs/test-support';

export type RunningProcess = RunningApp;

export interface StartOptions {
  /** `source` (default): TypeScript through tsx; `dist`: the production build, plain node. */
  build?: 'source' | 'dist';
  /** Where to run `dist/main.js` from (a `pnpm deploy` directory); default the app's folder. */
  cwd?: string;
}

export function startApp(
  app: AppName,
  env: Record<string, string>,
  args: string[] = [],
  options: StartOptions = {},
): RunningProcess {
  return start(app, { env, args, ...options });
}
