/** The options of `openDatabase`, for every dialect. */
import type { OrderRepositoryOptions } from './chunks.js';

export interface OpenDatabaseOptions extends OrderRepositoryOptions {
  /** `mysql://...` for MySQL/MariaDB; `file:...` or nothing for the embedded database. */
  url?: string | undefined;
  /** MySQL pool size. Default 10. */
  connectionLimit?: number;
  /**
   * MySQL: the longest one statement may take, the wait for a pooled connection included
   * (client side), also set as the server's statement limit. Default 10,000 ms. The embedded
   * database has no network to wait on; its busy timeout bounds its waits.
   */
  queryTimeoutMs?: number | undefined;
  /** MySQL: the longest opening a connection may take. Default 5,000 ms. */
  connectTimeoutMs?: number | undefined;
  /** MySQL: idle time before TCP keep-alive probes start. Default 5,000 ms. */
  keepAliveInitialDelayMs?: number | undefined;
  /** MySQL with several hosts: how long a failed node is left alone. Default 2,000 ms. */
  restoreNodeAfterMs?: number | undefined;
  /** MariaDB Galera: `wsrep_sync_wait` of every connection. Default 1 (causal reads). */
  wsrepSyncWait?: number | undefined;
  /** MySQL with several hosts: told when a node stops or starts being used. */
  onNodeChange?: ((node: string, up: boolean, error?: unknown) => void) | undefined;
  /** Embedded database: how long a writer waits for another. Default 5,000 ms. */
  busyTimeoutMs?: number;
}
