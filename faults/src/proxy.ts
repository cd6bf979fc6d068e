/**
 * A counting reverse proxy in front of one replica (the load balancer of a real installation):
 * the scheduler talks to a fixed URL while the replica behind it is killed and restarted, and
 * every status the replica answered is counted (5xx included). When the replica dies mid-request
 * the client's socket is destroyed, as it would be without the proxy.
 */
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  readonly url: string;
  /** Where requests go; may be changed while running (a restarted replica). */
  upstream: string;
  /** Answers by status, e.g. `{ 200: 12, 503: 1 }`. */
  readonly statuses: Record<number, number>;
  fiveXx(): number;
  /** 5xx answers whose body does not say `retryable: true` (tRPC `data.retryable`, or POST /orders). */
  readonly fiveXxNotRetryable: string[];
  close(): Promise<void>;
}

export async function startProxy(upstream: string): Promise<CountingProxy> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const statuses: Record<number, number> = {};
  const fiveXxNotRetryable: string[] = [];
  const state = { upstream };
  const server: Server = createServer((req, res) => {
    const target = new URL(req.url ?? '/', state.upstream);
    const upstreamReq = request(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host }, agent },
      (upstreamRes) => {
        const status = upstreamRes.statusCode ?? 0;
        statuses[status] = (statuses[status] ?? 0) + 1;
        res.writeHead(status, upstreamRes.headers);
        if (status >= 500) {
          // Read what the 5xx says: a retryable failure must say so.
          let body = '';
          upstreamRes.on('data', (chunk: Buffer) => {
            if (body.length < 65_536) body += chunk.toString('utf8');
          });
          upstreamRes.once('end', () => {
            if (!/"retryable"\s*:\s*true/.test(body)) {
              fiveXxNotRetryable.push(`${req.method} ${req.url} ${status} ${body.slice(0, 300)}`);
            }
          });
        }
        upstreamRes.pipe(res);
        upstreamRes.once('error', () => res.destroy());
        upstreamRes.once('aborted', () => res.destroy());
      },
    );
    upstreamReq.once('error', () => {
      // The replica is gone (refused, reset, killed mid-answer): the client sees a dropped
      // connection, not an answer from the proxy.
      res.destroy();
      req.socket.destroy();
    });
    req.pipe(upstreamReq);
    res.once('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get upstream() {
      return state.upstream;
    },
    set upstream(value: string) {
      state.upstream = value;
      agent.destroy();
    },
    statuses,
    fiveXxNotRetryable,
    fiveXx: () =>
      Object.entries(statuses)
        .filter(([status]) => Number(status) >= 500)
        .reduce((sum, [, n]) => sum + n, 0),
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
        agent.destroy();
      }),
  };
}
