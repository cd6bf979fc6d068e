/**
 * The real apps as child processes for the fault suite, over @ocs/test-support, with
 * `kill -9` under the name the scenarios use and the listening wait for notifier and server.
 */
import {
  type AppName,
  type RunningApp,
  startApp as start,
  startListening,
} from '@ocs/test-support';

export { type AppName, killAll, repoRoot } from '@ocs/test-support';

export interface RunningProcess extends RunningApp {
  /** `kill -9`: no chance to clean up. */
  kill9(): Promise<void>;
}

export function startApp(
  app: AppName,
  env: Record<string, string>,
  args: string[] = [],
): RunningProcess {
  return withKill9(start(app, { env, args }));
}

function withKill9(running: RunningApp): RunningProcess {
  return Object.assign(running, { kill9: running.kill });
}

export function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** Starts the notifier on a free port and resolves with its base URL. */
export async function startNotifier(
  env: Record<string, string> = {},
): Promise<{ process: RunningProcess; url: string }> {
  const { process, url } = await startListening('notifier', {
    env: { PORT: '0', LOG_LEVEL: 'info', ...env },
  });
  return { process: withKill9(process), url };
}

/** Starts a server replica and resolves with its base URL once it listens. */
export async function startServer(
  env: Record<string, string>,
): Promise<{ process: RunningProcess; url: string }> {
  const { process, url } = await startListening('server', { env });
  return { process: withKill9(process), url };
}
