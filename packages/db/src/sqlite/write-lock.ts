/**
 * Serializes write transactions on one embedded database file within this process.
 *
 * The libsql driver runs statements synchronously on the event loop thread, so when a second
 * connection in the same process waits for SQLite's write lock (busy timeout), it blocks the
 * very thread the first transaction needs to finish: the two never make progress. Queueing
 * writers here instead lets them take turns. Other processes still wait via the busy timeout.
 */
import { resolve } from 'node:path';

export type WriteLock = <T>(work: () => Promise<T>) => Promise<T>;

const queues = new Map<string, Promise<unknown>>();

export function writeLockFor(filePath: string): WriteLock {
  const key = resolve(filePath);
  return <T>(work: () => Promise<T>): Promise<T> => {
    const previous = queues.get(key) ?? Promise.resolve();
    const run = previous.then(work, work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    queues.set(key, settled);
    void settled.then(() => {
      if (queues.get(key) === settled) queues.delete(key);
    });
    return run;
  };
}

/** For repositories used without `connectSqlite`: no queueing. */
export const noWriteLock: WriteLock = (work) => work();
