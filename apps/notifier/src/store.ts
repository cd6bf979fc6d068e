/**
 * What the service received, in memory: the notifications it accepted (one per idempotency
 * key), a log of every notification request with its arrival time, and counters.
 */
import type { NotificationRecord } from '@ocs/notifier-client/contract';

export interface RequestRecord {
  seq: number;
  route: string;
  orderIds: number[];
  /** The idempotency key of each notification in the request (none for legacy). */
  idempotencyKeys: string[];
  /** Epoch milliseconds when the request arrived, before any injected latency. */
  receivedAtMs: number;
  /**
   * Status the service answered with, recorded as soon as it decided, even when the client
   * had gone by then; `null` while pending or when the connection was dropped without an answer.
   */
  status: number | null;
  /**
   * Whether the response was actually delivered to the client (fully written to its
   * connection). `false` with a status: the service had processed the request (a notification
   * may be stored) but the client had gone away before the answer was finished.
   */
  answered: boolean;
  /**
   * Epoch milliseconds when the answer was fully written (with `answered`), null before: how
   * long the client waited, which a client with an attempt timeout may not have.
   */
  answeredAtMs: number | null;
}

export interface NotifierStats {
  /** Notification requests (both protocols), not control or listing calls. */
  requests: number;
  inFlight: number;
  maxInFlight: number;
  /** Every request, by route (e.g. `POST /v1/notifications`). */
  byRoute: Record<string, number>;
  notificationsStored: number;
  duplicates: number;
}

export interface OrderTally {
  notifiedOrderIds: number[];
  /** From the request log; meaningful only when `requestLogComplete`. */
  ordersSentMoreThanOnce: number;
  /** False when the request log (capped) dropped entries. */
  requestLogComplete: boolean;
}

/** Oldest request-log entries are dropped past this, so a long demo cannot exhaust memory. */
const MAX_REQUEST_LOG = 200_000;

export class NotificationStore {
  #records: NotificationRecord[] = [];
  #byKey = new Map<string, NotificationRecord>();
  #requestLog: RequestRecord[] = [];
  #attemptsByOrder = new Map<number, number>();
  #nextId = 1;
  #nextSeq = 1;
  #stats = emptyStats();

  countRoute(route: string): void {
    this.#stats.byRoute[route] = (this.#stats.byRoute[route] ?? 0) + 1;
  }

  /** Logs a notification request and marks it in flight until `end()`. */
  begin(route: string, orderIds: number[], receivedAtMs: number): RequestRecord {
    const stats = this.#stats;
    stats.requests++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    const record: RequestRecord = {
      seq: this.#nextSeq++,
      route,
      orderIds,
      idempotencyKeys: [],
      receivedAtMs,
      status: null,
      answered: false,
      answeredAtMs: null,
    };
    this.#requestLog.push(record);
    if (this.#requestLog.length > MAX_REQUEST_LOG) this.#requestLog.shift();
    return record;
  }

  end(): void {
    this.#stats.inFlight = Math.max(0, this.#stats.inFlight - 1);
  }

  /** Counts a request for the order and returns which one it is (1 = first). */
  nextAttempt(orderId: number): number {
    const attempt = (this.#attemptsByOrder.get(orderId) ?? 0) + 1;
    this.#attemptsByOrder.set(orderId, attempt);
    return attempt;
  }

  /** Stores a notification unless its idempotency key was seen before. */
  accept(notification: Omit<NotificationRecord, 'id' | 'receivedAt'>): {
    record: NotificationRecord;
    duplicate: boolean;
  } {
    const key = notification.idempotencyKey;
    const existing = key === null ? undefined : this.#byKey.get(key);
    if (existing) {
      this.#stats.duplicates++;
      return { record: existing, duplicate: true };
    }
    const record: NotificationRecord = {
      ...notification,
      id: this.#nextId++,
      receivedAt: new Date().toISOString(),
    };
    this.#records.push(record);
    if (key !== null) this.#byKey.set(key, record);
    this.#stats.notificationsStored++;
    return { record, duplicate: false };
  }

  list(orderId?: number): NotificationRecord[] {
    return orderId === undefined
      ? [...this.#records]
      : this.#records.filter((record) => record.orderId === orderId);
  }

  /**
   * Per order, compactly, for checks at millions of orders (the lists above would be hundreds
   * of megabytes of JSON): the order id of every stored notification, in arrival order, and how
   * many orders the request log shows in more than one notification request.
   */
  orderTally(): OrderTally {
    const sent = new Map<number, number>();
    for (const request of this.#requestLog) {
      for (const id of request.orderIds) sent.set(id, (sent.get(id) ?? 0) + 1);
    }
    let ordersSentMoreThanOnce = 0;
    for (const count of sent.values()) if (count > 1) ordersSentMoreThanOnce++;
    return {
      notifiedOrderIds: this.#records.map((record) => record.orderId),
      ordersSentMoreThanOnce,
      requestLogComplete: this.#requestLog.length >= this.#stats.requests,
    };
  }

  requests(orderId?: number): RequestRecord[] {
    return orderId === undefined
      ? [...this.#requestLog]
      : this.#requestLog.filter((record) => record.orderIds.includes(orderId));
  }

  stats(): NotifierStats {
    return structuredClone(this.#stats);
  }

  /** Forgets everything received; requests still in flight stay counted as in flight. */
  clear(): void {
    const inFlight = this.#stats.inFlight;
    this.#records = [];
    this.#byKey.clear();
    this.#requestLog = [];
    this.#attemptsByOrder.clear();
    this.#stats = { ...emptyStats(), inFlight, maxInFlight: inFlight };
  }
}

function emptyStats(): NotifierStats {
  return {
    requests: 0,
    inFlight: 0,
    maxInFlight: 0,
    byRoute: {},
    notificationsStored: 0,
    duplicates: 0,
  };
}
