/**
 * What every notification request goes through, whatever its protocol: an entry in the request
 * log, the injected misbehaviour (latency, `down`, failures) and the `Authorization` check, and
 * an answer whose status the log keeps even when the client has gone.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultController } from './faults.js';
import { sendJson } from './http.js';
import type { NotificationStore, RequestRecord } from './store.js';

export class Exchange {
  /** The request-log record of each notification request in progress. */
  readonly #records = new WeakMap<ServerResponse, RequestRecord>();
  readonly #expectedAuth: Buffer | undefined;

  constructor(
    readonly store: NotificationStore,
    readonly faults: FaultController,
    /** When set, notification requests must carry exactly this `Authorization` header. */
    authHeader: string | undefined,
  ) {
    this.#expectedAuth = authHeader ? Buffer.from(authHeader) : undefined;
  }

  /**
   * Begins a notification request: logged, counted in flight until the response closes. The
   * record says whether the answer reached the client (`finish`) or the client had gone.
   */
  begin(route: string, res: ServerResponse): RequestRecord {
    const record = this.store.begin(route, [], Date.now());
    this.#records.set(res, record);
    res.once('finish', () => {
      record.status = res.statusCode;
      record.answered = true;
      record.answeredAtMs = Date.now();
    });
    res.once('close', () => this.store.end());
    return record;
  }

  /** Answers, and records the status in the request log even when the client has gone. */
  reply(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const record = this.#records.get(res);
    if (record && record.status === null) record.status = status;
    sendJson(res, status, body, headers);
  }

  /** Injected latency, `down` and auth; false when the request has been answered or dropped. */
  async gate(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const latency = this.faults.latencyMs();
    if (latency > 0) await sleep(latency);
    const { down, retryAfterSeconds } = this.faults.get();
    if (down === 'refuse') {
      req.socket.destroy();
      return false;
    }
    if (down === '503') {
      this.reply(
        res,
        503,
        { error: 'the notification service is down (injected)' },
        retryAfterHeader(retryAfterSeconds),
      );
      return false;
    }
    if (this.#expectedAuth && !sameSecret(req.headers.authorization, this.#expectedAuth)) {
      this.reply(res, 401, { error: 'missing or wrong Authorization header' });
      return false;
    }
    return true;
  }

  /** Whether this attempt at `orderId` is one the faults say must fail. */
  shouldFail(orderId: number): boolean {
    return this.faults.shouldFail(orderId, this.store.nextAttempt(orderId));
  }

  /** Answers with the injected failure status (and Retry-After, when set). */
  injectedFailure(res: ServerResponse): void {
    const { failStatus, retryAfterSeconds } = this.faults.get();
    this.reply(
      res,
      failStatus,
      { error: `injected failure (${failStatus})` },
      retryAfterHeader(retryAfterSeconds),
    );
  }
}

function retryAfterHeader(seconds: number | undefined): Record<string, string> {
  return seconds === undefined ? {} : { 'retry-after': String(seconds) };
}

function sameSecret(given: string | undefined, expected: Buffer): boolean {
  const actual = Buffer.from(given ?? '');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
