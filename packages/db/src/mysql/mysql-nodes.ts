/**
 * Several database servers behind one connection source, for a cluster such as MariaDB Galera
 * (every node takes writes): one mysql2 pool per node, connections taken from the first node
 * in the listed order that is not marked down, and a node marked down when it refuses, resets,
 * does not answer in time or answers 1047 (a Galera node that is not part of the primary
 * component, or is still syncing). A node marked down is pinged in the background and taken
 * back once it answers; when every node is down, each is tried again in order.
 *
 * Why not mysql2's `PoolCluster`: it counts only failures to *open* a connection, and resets
 * the count on the next success. A rejoining Galera node accepts connections and then answers
 * every statement with 1047, and a black-holed node keeps its open connections: PoolCluster
 * would keep handing both out. Its node state (`_offlineUntil`) is private, so the statement
 * errors cannot be reported to it.
 *
 * One node at a time (not round-robin) on purpose: a replica's statements on one node do not
 * conflict with each other in Galera's certification, and a read sees that replica's own
 * writes without waiting for the cluster.
 */
import { createPool, type Pool, type PoolConnection, type PoolOptions } from 'mysql2/promise';
import type { MySqlNodeUrl } from '../connection-string.js';
import { isNodeFailure } from './mysql-errors.js';

export { isNodeFailure, isNodeNotReady } from './mysql-errors.js';

export interface MySqlNode {
  /** host:port. */
  readonly name: string;
  readonly pool: Pool;
  /** performance.now() until which the node is not used while another is up; 0 = up. */
  downUntil: number;
  /** Why it was marked down, the message only (never a URL). */
  lastError: string | null;
}

export interface NodeHealth {
  name: string;
  up: boolean;
  /** The node this replica's statements go to now. */
  inUse: boolean;
  error?: string;
}

export interface MySqlNodesOptions {
  /** Options of every node's pool (the `uri` is each node's own). */
  pool: Omit<PoolOptions, 'uri'>;
  /** A node marked down is not used for at least this long, then pinged. Default 2,000 ms. */
  restoreAfterMs?: number;
  /** `ping(node)` used to take a node back (a `SELECT 1` with a deadline). */
  ping: (pool: Pool) => Promise<void>;
  /** Told when a node goes down or comes back (logs). */
  onChange?: (node: MySqlNode, up: boolean, error?: unknown) => void;
}

export class MySqlNodes {
  readonly nodes: readonly MySqlNode[];
  readonly #owner = new WeakMap<object, MySqlNode>();
  readonly #options: MySqlNodesOptions;
  #timer: NodeJS.Timeout | null = null;
  #restoring = false;

  constructor(urls: readonly MySqlNodeUrl[], options: MySqlNodesOptions) {
    if (urls.length === 0) throw new Error('MySqlNodes needs at least one node');
    this.#options = options;
    this.nodes = urls.map(({ name, url }) => ({
      name,
      pool: createPool({ ...options.pool, uri: url }),
      downUntil: 0,
      lastError: null,
    }));
  }

  get restoreAfterMs(): number {
    return this.#options.restoreAfterMs ?? 2_000;
  }

  /** Every node's pool: for per-connection set-up (`pool.on('connection')`). */
  get pools(): Pool[] {
    return this.nodes.map((node) => node.pool);
  }

  /** The first node that is up, in the listed order (the first listed when none is). */
  get current(): MySqlNode {
    return this.#order()[0] as MySqlNode;
  }

  /** Nodes in the order to try: those up as listed, then those down, the longest down first. */
  #order(): MySqlNode[] {
    const up = this.nodes.filter((node) => node.downUntil === 0);
    const down = this.nodes
      .filter((node) => node.downUntil !== 0)
      .sort((a, b) => a.downUntil - b.downUntil);
    return [...up, ...down];
  }

  /**
   * A connection from the first node that gives one; a node that fails to is marked down and
   * the next tried. Rejects with the last node's error when none does.
   */
  async getConnection(): Promise<PoolConnection> {
    let lastError: unknown;
    for (const node of this.#order()) {
      try {
        const connection = await node.pool.getConnection();
        this.#owner.set(connection, node);
        return connection;
      } catch (error) {
        lastError = error;
        if (!isNodeFailure(error)) throw error;
        this.markDown(node, error);
      }
    }
    throw lastError;
  }

  /** The node a connection came from. */
  nodeOf(connection: object): MySqlNode | undefined {
    return this.#owner.get(connection);
  }

  /** Called with every statement error: moves off the node when the error is the node's. */
  reportError(connection: object, error: unknown): void {
    const node = this.#owner.get(connection);
    if (node && isNodeFailure(error)) this.markDown(node, error);
  }

  markDown(node: MySqlNode, error: unknown): void {
    // With one node there is nowhere else to go: its state changes nothing.
    if (this.nodes.length === 1) return;
    const wasUp = node.downUntil === 0;
    node.downUntil = performance.now() + this.restoreAfterMs;
    node.lastError = error instanceof Error ? error.message : String(error);
    if (wasUp) this.#options.onChange?.(node, false, error);
    this.#scheduleRestore();
  }

  #scheduleRestore(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#restore();
    }, this.restoreAfterMs).unref();
  }

  /** Pings every node whose down time has passed; takes back those that answer. */
  async #restore(): Promise<void> {
    if (this.#restoring) return;
    this.#restoring = true;
    try {
      const due = this.nodes.filter(
        (node) => node.downUntil !== 0 && node.downUntil <= performance.now(),
      );
      await Promise.all(
        due.map(async (node) => {
          try {
            await this.#options.ping(node.pool);
            node.downUntil = 0;
            node.lastError = null;
            this.#options.onChange?.(node, true);
          } catch (error) {
            node.downUntil = performance.now() + this.restoreAfterMs;
            node.lastError = error instanceof Error ? error.message : String(error);
          }
        }),
      );
    } finally {
      this.#restoring = false;
      if (this.nodes.some((node) => node.downUntil !== 0)) this.#scheduleRestore();
    }
  }

  /** Pings every node at once, each within `timeoutMs`: for `/readyz`. */
  async health(ping: (pool: Pool) => Promise<void>): Promise<NodeHealth[]> {
    const current = this.current;
    return Promise.all(
      this.nodes.map(async (node) => {
        try {
          await ping(node.pool);
          return { name: node.name, up: true, inUse: node === current };
        } catch (error) {
          return {
            name: node.name,
            up: false,
            inUse: node === current,
            error: error instanceof Error ? error.message : String(error),
          };
        }
      }),
    );
  }

  async end(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await Promise.all(this.nodes.map((node) => node.pool.end()));
  }
}
