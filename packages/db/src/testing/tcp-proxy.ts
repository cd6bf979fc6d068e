/**
 * A TCP proxy that can partition one peer from another, for tests: put between a process and
 * MariaDB (its DATABASE_URL names the proxy's port) or between a replica and the notifier (its
 * NOTIFIER_BASE_URL). The one partition proxy of the repository: the db and server deadline
 * tests and the fault suite use it. Modes:
 * - `forward`: bytes flow both ways.
 * - `blackhole`: nothing flows in either direction and nothing is closed (no RST, no FIN):
 *   bytes read are held, reading stops (the senders' kernel buffers fill), an end or a close
 *   of one side is not passed on, and new connections are accepted and held silent. When the
 *   partition heals, what was held flows on, as TCP's retransmissions would deliver it after a
 *   short outage; a peer that gave up meanwhile (timed out, closed) then sees its close arrive.
 * - `refuse`: the listener is closed (a new connection gets ECONNREFUSED from the kernel) and
 *   every open connection is reset on both sides; healing listens again on the same port.
 */
import { createServer, type Server, Socket } from 'node:net';

export type PartitionMode = 'forward' | 'blackhole' | 'refuse';

interface Pair {
  client: Socket;
  upstream?: Socket;
  /** Chunks held while black-holed, per direction. */
  toUpstream: Buffer[];
  toClient: Buffer[];
  /** Ends/closes that happened while black-holed, applied on heal. */
  pending: (() => void)[];
  /** The end of the last chunk sent upstream (an id split across two chunks). */
  carry: string;
}

/** A number (the first group of a `tap` pattern) seen in bytes the proxy passed upstream. */
export interface TappedId {
  at: number;
  id: number;
}

export interface TcpProxyStats {
  connections: number;
  resets: number;
  heldConnections: number;
}

export class PartitionProxy {
  #mode: PartitionMode = 'forward';
  readonly #pairs = new Set<Pair>();
  #server: Server;
  #port = 0;
  readonly stats: TcpProxyStats = { connections: 0, resets: 0, heldConnections: 0 };
  /** Mode changes, epoch ms (for the fault timeline). */
  readonly timeline: { at: number; mode: PartitionMode }[] = [];
  /**
   * After `tap(patterns)`: the first group of every match in the bytes passed upstream, when
   * they passed (e.g. the order ids of notification requests: which replica asked for which
   * order, which the notifier's own log cannot say).
   */
  readonly tapped: TappedId[] = [];
  #patterns: RegExp[] = [];

  private constructor(
    readonly label: string,
    readonly targetHost: string,
    readonly targetPort: number,
  ) {
    this.#server = this.#createServer();
  }

  static async start(label: string, target: string): Promise<PartitionProxy> {
    const url = new URL(target);
    const port = Number(url.port || (url.protocol === 'mysql:' ? 3306 : 80));
    const proxy = new PartitionProxy(label, url.hostname, port);
    await proxy.#listen(0);
    return proxy;
  }

  /** Records the first group of each match of these global patterns in `tapped`. */
  tap(patterns: RegExp[]): void {
    this.#patterns = patterns;
  }

  get port(): number {
    return this.#port;
  }

  get mode(): PartitionMode {
    return this.#mode;
  }

  /** `target` (a URL) with its host and port replaced by this proxy's. */
  rewrite(target: string): string {
    const url = new URL(target);
    url.hostname = '127.0.0.1';
    url.port = String(this.#port);
    return url.toString().replace(/\/$/, target.endsWith('/') ? '/' : '');
  }

  async setMode(mode: PartitionMode): Promise<void> {
    if (mode === this.#mode) return;
    const was = this.#mode;
    this.#mode = mode;
    this.timeline.push({ at: Date.now(), mode });
    if (mode === 'refuse') {
      // close() calls back once every connection has ended: reset them first.
      const closed = new Promise<void>((done) => this.#server.close(() => done()));
      for (const pair of [...this.#pairs]) this.#reset(pair);
      await closed;
      return;
    }
    if (was === 'refuse') await this.#listen(this.#port);
    if (mode === 'forward') for (const pair of [...this.#pairs]) this.#heal(pair);
  }

  async close(): Promise<void> {
    const wasRefusing = this.#mode === 'refuse';
    this.#mode = 'refuse';
    const closed = wasRefusing
      ? Promise.resolve()
      : new Promise<void>((done) => this.#server.close(() => done()));
    for (const pair of [...this.#pairs]) this.#reset(pair);
    await closed;
  }

  #createServer(): Server {
    return createServer({ pauseOnConnect: true }, (client) => this.#accept(client));
  }

  async #listen(port: number): Promise<void> {
    // Listening again on the same port after `refuse`: retried briefly if the port lingers.
    for (let attempt = 0; ; attempt++) {
      this.#server = this.#createServer();
      try {
        await new Promise<void>((done, fail) => {
          this.#server.once('error', fail);
          this.#server.listen(port, '127.0.0.1', () => {
            this.#server.off('error', fail);
            done();
          });
        });
        break;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((done) => setTimeout(done, 50));
      }
    }
    const address = this.#server.address();
    if (address && typeof address === 'object') this.#port = address.port;
  }

  #accept(client: Socket): void {
    this.stats.connections++;
    const pair: Pair = { client, toUpstream: [], toClient: [], pending: [], carry: '' };
    this.#pairs.add(pair);
    client.on('error', () => {});
    client.once('close', () => this.#pairs.delete(pair));
    if (this.#mode === 'blackhole') {
      // Accepted, then silence: the upstream connection is made when the partition heals.
      this.stats.heldConnections++;
      return;
    }
    this.#connect(pair);
  }

  #connect(pair: Pair): void {
    const { client } = pair;
    const upstream = new Socket();
    pair.upstream = upstream;
    upstream.on('error', () => {});
    upstream.connect(this.targetPort, this.targetHost);
    client.on('data', (chunk: Buffer) => this.#relay(pair, chunk, 'toUpstream'));
    upstream.on('data', (chunk: Buffer) => this.#relay(pair, chunk, 'toClient'));
    // A half-close or a close passes on unless black-holed (then it waits for the heal).
    client.on('end', () => this.#whenForwarding(pair, () => upstream.end()));
    upstream.on('end', () => this.#whenForwarding(pair, () => client.end()));
    client.on('close', () => this.#whenForwarding(pair, () => upstream.destroy()));
    upstream.on('close', () => this.#whenForwarding(pair, () => client.destroy()));
    client.resume();
  }

  #relay(pair: Pair, chunk: Buffer, direction: 'toUpstream' | 'toClient'): void {
    const target = direction === 'toUpstream' ? pair.upstream : pair.client;
    if (this.#mode === 'forward' && target) {
      this.#write(pair, chunk, direction);
      return;
    }
    pair[direction].push(chunk);
    // Stop reading: the sender's kernel buffers fill, as with a link that carries nothing.
    (direction === 'toUpstream' ? pair.client : pair.upstream)?.pause();
  }

  #write(pair: Pair, chunk: Buffer, direction: 'toUpstream' | 'toClient'): void {
    if (direction === 'toClient') {
      pair.client.write(chunk);
      return;
    }
    pair.upstream?.write(chunk);
    if (this.#patterns.length === 0) return;
    const text = pair.carry + chunk.toString('latin1');
    const at = Date.now();
    // Ids are taken once: only matches that end in this chunk's part of the text count.
    const from = pair.carry.length;
    for (const pattern of this.#patterns) {
      for (const match of text.matchAll(pattern)) {
        if ((match.index ?? 0) + match[0].length > from) {
          this.tapped.push({ at, id: Number(match[1]) });
        }
      }
    }
    pair.carry = text.slice(-40);
  }

  #whenForwarding(pair: Pair, action: () => void): void {
    if (this.#mode === 'forward') action();
    else if (this.#mode === 'blackhole') pair.pending.push(action);
  }

  #heal(pair: Pair): void {
    if (!pair.upstream) {
      if (pair.client.destroyed) {
        this.#pairs.delete(pair);
        return;
      }
      this.#connect(pair);
      return;
    }
    for (const chunk of pair.toUpstream.splice(0)) this.#write(pair, chunk, 'toUpstream');
    for (const chunk of pair.toClient.splice(0)) this.#write(pair, chunk, 'toClient');
    pair.client.resume();
    pair.upstream.resume();
    for (const action of pair.pending.splice(0)) action();
  }

  #reset(pair: Pair): void {
    this.stats.resets++;
    this.#pairs.delete(pair);
    pair.toUpstream.length = 0;
    pair.toClient.length = 0;
    for (const socket of [pair.client, pair.upstream]) {
      if (!socket || socket.destroyed) continue;
      try {
        socket.resetAndDestroy();
      } catch {
        socket.destroy(); // not connected yet: nothing to reset
      }
    }
  }
}
