/** The notifier app's control API: faults, its own request log and what it stored. */

export interface RequestRecord {
  seq: number;
  route: string;
  orderIds: number[];
  receivedAtMs: number;
  /**
   * Status the service decided on (newer notifiers record it even when the client had gone);
   * null while pending or when the connection was dropped without an answer.
   */
  status: number | null;
  /**
   * Whether the response reached the client (true/false, or the epoch ms it did). Absent on
   * notifier versions that do not record it: a 2xx then counts as answered.
   */
  answered?: boolean | number | null;
  /** When the answer was fully written (epoch ms), on notifiers that record it. */
  answeredAtMs?: number | null;
  /** The idempotency key of each entry of `orderIds` (v1), when the notifier records it. */
  idempotencyKeys?: (string | null)[];
}

export interface StoredNotification {
  id: number;
  orderId: number;
  idempotencyKey: string | null;
  protocol?: string;
}

export interface NotifierFaults {
  failureRate?: number;
  failingOrderIds?: number[];
  failFirstAttempts?: number;
  failStatus?: number;
  retryAfterSeconds?: number;
  latencyMs?: number;
  jitterMs?: number;
  down?: 'refuse' | '503' | false;
}

export class NotifierControl {
  constructor(readonly url: string) {}

  async setFaults(faults: NotifierFaults): Promise<void> {
    const res = await fetch(`${this.url}/control/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(faults),
    });
    if (!res.ok) throw new Error(`PUT /control/faults: ${res.status} ${await res.text()}`);
  }

  /** Forgets notifications, the request log and counters. */
  async clear(): Promise<void> {
    const res = await fetch(`${this.url}/v1/notifications`, { method: 'DELETE' });
    if (!res.ok) throw new Error(`DELETE /v1/notifications: ${res.status}`);
  }

  async requests(): Promise<RequestRecord[]> {
    const res = await fetch(`${this.url}/control/requests`);
    if (!res.ok) throw new Error(`GET /control/requests: ${res.status}`);
    return ((await res.json()) as { requests: RequestRecord[] }).requests;
  }

  async notifications(): Promise<StoredNotification[]> {
    const res = await fetch(`${this.url}/v1/notifications`);
    if (!res.ok) throw new Error(`GET /v1/notifications: ${res.status}`);
    return ((await res.json()) as { notifications: StoredNotification[] }).notifications;
  }

  /** Notification requests received so far (cheap: the stats counter). */
  async requestCount(): Promise<number> {
    const res = await fetch(`${this.url}/stats`);
    return ((await res.json()) as { requests: number }).requests;
  }

  /**
   * Resolves true once notification requests for at least `count` orders have arrived, or
   * false as soon as `abort()` says to stop waiting (e.g. the scheduler ended first).
   */
  async waitForOrders(
    count: number,
    abort: () => boolean = () => false,
    timeoutMs = 120_000,
  ): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const requests = await this.requests();
      if (requests.reduce((sum, r) => sum + r.orderIds.length, 0) >= count) return true;
      if (abort()) return false;
      await new Promise((done) => setTimeout(done, 25));
    }
    throw new Error(`the notifier did not see requests for ${count} orders within ${timeoutMs} ms`);
  }

  /** Resolves once the notifier has received at least `count` notification requests. */
  async waitForRequests(count: number, timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if ((await this.requestCount()) >= count) return;
      await new Promise((done) => setTimeout(done, 20));
    }
    throw new Error(`the notifier did not receive ${count} requests within ${timeoutMs} ms`);
  }
}

/** A 2xx whose response reached the client. */
export function acknowledged(record: RequestRecord): boolean {
  if (record.status === null || record.status < 200 || record.status >= 300) return false;
  // Absent: a notifier that does not record it; null or false: the client never read it.
  if (record.answered === undefined) return true;
  return record.answered !== null && record.answered !== false;
}

/**
 * No answer reached the client (timed out, dropped): the request may or may not have reached
 * the service. On a notifier without `answered`, a missing status is the only sign.
 */
export function unanswered(record: RequestRecord): boolean {
  if (record.answered === undefined) return record.status === null;
  return record.answered === null || record.answered === false;
}
