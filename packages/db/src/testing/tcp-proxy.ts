/**
 * A TCP proxy in front of a database for partition tests: it forwards, black-holes (keeps
 * every connection open and accepts new ones, but forwards nothing either way: packets
 * dropped, no RST, no FIN, as a broken network does), or refuses (stops listening and resets
 * every connection: a database that is down). `heal()` forwards again.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'forward' | 'blackhole' | 'refuse';

export interface TcpProxy {
  /** `host:port` to connect to. */
  readonly host: string;
  readonly port: number;
  /** `target` with the proxy's host and port instead (user, password and path kept). */
  url(target: string): string;
  readonly mode: ProxyMode;
  blackhole(): void;
  refuse(): Promise<void>;
  heal(): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  /** What arrived while black-holed, delivered on heal as TCP's retransmissions would be. */
  held: { to: Socket; chunk: Buffer }[];
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = 'forward';
  const pairs = new Set<Pair>();
  let port = 0;
  let server: Server | null = null;

  const pipe = (pair: Pair) => {
    const forward = (to: Socket) => (chunk: Buffer) => {
      if (mode === 'forward') to.write(chunk);
      else pair.held.push({ to, chunk });
    };
    pair.client.on('data', forward(pair.upstream));
    pair.upstream.on('data', forward(pair.client));
  };
  const drop = (pair: Pair) => {
    pair.client.destroy();
    pair.upstream.destroy();
    pairs.delete(pair);
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const listener = createServer((client) => {
        const upstream = connect(target.port, target.host);
        const pair: Pair = { client, upstream, held: [] };
        pairs.add(pair);
        client.on('error', () => drop(pair));
        upstream.on('error', () => drop(pair));
        client.on('close', () => drop(pair));
        upstream.on('close', () => drop(pair));
        pipe(pair);
      });
      listener.once('error', reject);
      listener.listen(port, '127.0.0.1', () => {
        port = (listener.address() as { port: number }).port;
        server = listener;
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      const listener = server;
      server = null;
      if (!listener) resolve();
      else listener.close(() => resolve());
    });

  await listen();
  return {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    url(targetUrl) {
      const url = new URL(targetUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    get mode() {
      return mode;
    },
    blackhole() {
      mode = 'blackhole';
    },
    async refuse() {
      mode = 'refuse';
      for (const pair of [...pairs]) {
        pair.client.resetAndDestroy();
        drop(pair);
      }
      await stopListening();
    },
    async heal() {
      const wasRefusing = mode === 'refuse';
      mode = 'forward';
      for (const pair of pairs) {
        for (const { to, chunk } of pair.held.splice(0)) to.write(chunk);
      }
      if (wasRefusing) await listen();
    },
    async close() {
      mode = 'blackhole';
      for (const pair of [...pairs]) drop(pair);
      await stopListening();
    },
  };
}
