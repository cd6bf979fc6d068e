/**
 * The original protocol, `GET /notify/{orderId}`, on `node:http` directly: it is the hot path
 * (one request per order) and ky + fetch cost several times the CPU of a plain keep-alive
 * request. One request per call, no retries here: the policies around it retry. The request
 * tracks whether its connection was established, so a failure says whether it may have reached
 * the service: a refused connection or a timeout while connecting certainly did not; after
 * that, any failure may have come after the service read the request.
 */
import http from 'node:http';
import https from 'node:https';
import {
  AttemptTimeoutError,
  CancelledError,
  HttpStatusError,
  isNotSentCode,
  NetworkError,
} from '../attempt-errors.js';
import type { InFlightRequests } from '../call.js';
import { describeError, errorDetail } from '../error-detail.js';
import { parseRetryAfter } from '../retry-after.js';

const MAX_ERROR_BODY_BYTES = 4096;
/**
 * Idle keep-alive sockets are closed after this, below the common server keep-alive timeouts
 * (Node's own server: 5 s), so a request is not written into a socket the server is closing
 * (a reset there would be ambiguous). Node also honours a server's `Keep-Alive: timeout=` hint.
 */
const IDLE_SOCKET_MS = 4000;

export class LegacyTransport {
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;
  readonly #hostname: string;
  readonly #port: string;
  readonly #pathPrefix: string;
  readonly #headers: http.OutgoingHttpHeaders;

  constructor(baseUrl: string, authHeader: string | undefined, maxSockets: number) {
    const url = new URL(baseUrl);
    const secure = url.protocol === 'https:';
    // `timeout` closes idle kept-alive sockets (Node lowers it to a server's keep-alive hint);
    // on a socket in use it only emits 'timeout', which the request's own deadline ignores.
    const agentOptions = {
      keepAlive: true,
      maxSockets,
      maxFreeSockets: maxSockets,
      timeout: IDLE_SOCKET_MS,
    };
    this.#agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.#request = secure ? https.request : http.request;
    this.#hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.#port = url.port;
    this.#pathPrefix = url.pathname.replace(/\/+$/, '');
    this.#headers = authHeader ? { authorization: authHeader } : {};
  }

  /** Resolves on any 2xx (the status line is the answer; the body is drained for reuse). */
  notify(orderId: number, timeoutMs: number, inFlight: InFlightRequests): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      /** The connection is up, so the request may be (or have been) read by the service. */
      let connected = false;
      let settled = false;
      const req = this.#request({
        agent: this.#agent,
        hostname: this.#hostname,
        port: this.#port,
        path: `${this.#pathPrefix}/notify/${orderId}`,
        method: 'GET',
        headers: this.#headers,
      });
      const end = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        inFlight.delete(cancel);
        if (error) {
          req.destroy();
          reject(error);
        } else {
          resolve();
        }
      };
      const cancel = () => end(new CancelledError(connected));
      const timer = setTimeout(() => end(new AttemptTimeoutError(timeoutMs, connected)), timeoutMs);
      inFlight.add(cancel);
      req.once('socket', (socket) => {
        if (!socket.connecting) connected = true;
        else socket.once('connect', () => (connected = true));
      });
      // `on`, not `once`: destroying the request after a timeout can emit one more error.
      req.on('error', (error: Error & { code?: unknown }) =>
        end(new NetworkError(describeError(error), connected || !isNotSentCode(error.code))),
      );
      req.once('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          res.resume();
          end();
          return;
        }
        const retryAfterMs =
          status === 429 || status === 503
            ? parseRetryAfter(headerValue(res.headers['retry-after']))
            : undefined;
        const chunks: Buffer[] = [];
        let size = 0;
        const answered = () =>
          end(
            new HttpStatusError(
              status,
              errorDetail(Buffer.concat(chunks).toString('utf8')),
              retryAfterMs,
            ),
          );
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_ERROR_BODY_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        res.once('end', answered);
        // The status line is the answer even if the body is cut off.
        res.on('error', answered);
        res.once('aborted', answered);
      });
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
