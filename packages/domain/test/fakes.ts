/** In-process fakes of the ports, for unit tests of the use case only. */
import {
  type ClaimRequest,
  type ClaimResult,
  type Clock,
  type CompletionCallEnd,
  type CompletionCallRepository,
  type CompletionCallStart,
  type CompletionLedger,
  type LedgerState,
  type Logger,
  type MarkFinishedResult,
  type NotificationFailure,
  type NotificationResult,
  type NotifyOptions,
  type Order,
  type OrderNotifier,
  type OrderRepository,
  systemClock,
} from '../src/index.js';

export class InMemoryOrderRepository implements OrderRepository {
  readonly orders = new Map<number, Order>();
  readonly findCalls: number[][] = [];

  constructor(orders: Order[]) {
    for (const order of orders) this.orders.set(order.id, structuredClone(order));
  }

  async findByIds(ids: readonly number[]): Promise<Order[]> {
    noEmptyList('findByIds', ids);
    this.findCalls.push([...ids]);
    return [...new Set(ids)].flatMap((id) => {
      const order = this.orders.get(id);
      return order ? [structuredClone(order)] : [];
    });
  }

  async markFinished(): Promise<MarkFinishedResult> {
    throw new Error('the use case finishes through the ledger');
  }

  async findPendingIds(): Promise<never> {
    throw new Error('not used by the use case');
  }

  async list(): Promise<never> {
    throw new Error('not used by the use case');
  }
}

export interface LedgerRow {
  state: LedgerState;
  callId: string;
  leaseUntil: number;
}

/** The ledger's rules over a Map, finishing orders in the repository it is given. */
export class InMemoryLedger implements CompletionLedger {
  readonly rows = new Map<number, LedgerRow>();
  failFinishWith: Error | null = null;
  /** Called inside `finish`, before anything changes (e.g. to let another caller interfere). */
  beforeFinish: (() => void) | null = null;

  /** `clock` is the database's: leases are decided in it, as the SQL ledger does. */
  constructor(
    private readonly repository: InMemoryOrderRepository,
    private readonly clock: Clock = systemClock,
  ) {}

  async claim({ callId, orderIds, leaseMs }: ClaimRequest): Promise<ClaimResult> {
    noEmptyList('claim', orderIds);
    const now = this.clock.now();
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const result: ClaimResult = { toNotify: [], alreadyNotified: [], claimedElsewhere: [] };
    for (const id of [...orderIds].sort((a, b) => a - b)) {
      const row = this.rows.get(id);
      if (!row) {
        this.rows.set(id, { state: 'claimed', callId, leaseUntil: leaseUntil.getTime() });
      } else if (
        row.callId !== callId &&
        row.state !== 'unconfirmed' &&
        row.leaseUntil <= now.getTime()
      ) {
        row.callId = callId;
        row.leaseUntil = leaseUntil.getTime();
      }
      const current = this.rows.get(id) as LedgerRow;
      if (current.callId !== callId) result.claimedElsewhere.push(id);
      else if (current.state === 'claimed') result.toNotify.push(id);
      else result.alreadyNotified.push(id);
    }
    return result;
  }

  async markNotified(callId: string, orderIds: readonly number[]): Promise<void> {
    noEmptyList('markNotified', orderIds);
    for (const id of orderIds) {
      const row = this.rows.get(id);
      if (row?.callId === callId && row.state === 'claimed') row.state = 'notified';
    }
  }

  async release(callId: string, orderIds: readonly number[]): Promise<void> {
    noEmptyList('release', orderIds);
    for (const id of orderIds) {
      const row = this.rows.get(id);
      if (row?.callId === callId && row.state === 'claimed') this.rows.delete(id);
    }
  }

  async hold(callId: string, orderIds: readonly number[]): Promise<void> {
    noEmptyList('hold', orderIds);
    for (const id of orderIds) {
      const row = this.rows.get(id);
      if (row?.callId === callId && row.state === 'claimed') row.state = 'unconfirmed';
    }
  }

  async handOver(callId: string, orderIds: readonly number[]): Promise<void> {
    noEmptyList('handOver', orderIds);
    for (const id of orderIds) {
      const row = this.rows.get(id);
      if (row?.callId === callId && row.state === 'notified') row.leaseUntil = 0;
    }
  }

  async finish(callId: string, orderIds: readonly number[]): Promise<{ updatedIds: number[] }> {
    noEmptyList('finish', orderIds);
    this.beforeFinish?.();
    if (this.failFinishWith) throw this.failFinishWith;
    const updatedIds: number[] = [];
    for (const id of orderIds) {
      const order = this.repository.orders.get(id);
      if (order?.state === 'SUBMITTED') {
        order.state = 'FINISHED';
        updatedIds.push(id);
      }
      const row = this.rows.get(id);
      if (row?.callId === callId) row.state = 'finished';
    }
    return { updatedIds };
  }

  stateOf(id: number): LedgerState | undefined {
    return this.rows.get(id)?.state;
  }
}

export interface RecordedRun extends CompletionCallStart {
  end?: CompletionCallEnd;
}

export class InMemoryCalls implements Pick<CompletionCallRepository, 'start' | 'complete'> {
  readonly runs = new Map<string, RecordedRun>();
  failStartWith: Error | null = null;

  async start(run: CompletionCallStart): Promise<void> {
    if (this.failStartWith) throw this.failStartWith;
    this.runs.set(run.id, { ...run });
  }

  async complete(id: string, end: CompletionCallEnd): Promise<void> {
    const run = this.runs.get(id);
    if (run) run.end = structuredClone(end);
  }
}

export interface ScriptedFailure {
  reason: NotificationFailure;
  /** The request may have reached the service. */
  maybeDelivered: boolean;
}

/**
 * A notification service and its client in one: `received` is what the service got, in order.
 * `gate`, when set, holds every notification until it resolves, to look at the world mid-call.
 */
export class FakeNotifier implements OrderNotifier {
  readonly received: number[] = [];
  readonly failures = new Map<number, ScriptedFailure>();
  gate: Promise<void> | null = null;

  async notifyCompleted(
    orders: readonly Order[],
    options: NotifyOptions = {},
  ): Promise<NotificationResult[]> {
    const results: NotificationResult[] = [];
    for (const order of orders) {
      // Not aborted, and the caller lets it go (its back-pressure may hold it a while).
      const send =
        !options.signal?.aborted && (await this.#mayAsk(options)) && !options.signal?.aborted;
      if (!send) {
        results.push({
          orderId: order.id,
          ok: false,
          maybeDelivered: false,
          reason: { kind: 'cancelled', message: 'cancelled', attempts: 0 },
        });
        continue;
      }
      const failure = this.failures.get(order.id);
      if (!failure || failure.maybeDelivered) this.received.push(order.id);
      if (this.gate && results.length > 0) await this.gate;
      const result: NotificationResult = failure
        ? { orderId: order.id, ok: false, ...failure }
        : { orderId: order.id, ok: true, attempts: 1 };
      options.onResult?.(result);
      results.push(result);
      // Let the use case's acknowledgement writer run between results, as real I/O would.
      await Promise.resolve();
    }
    return results;
  }

  /** Calls of the caller's `beforeSend` so far: a test waits on them, not on the clock. */
  sendsAsked = 0;

  async #mayAsk(options: NotifyOptions): Promise<boolean> {
    if (!options.beforeSend) return true;
    this.sendsAsked++;
    return options.beforeSend();
  }

  timesReceived(id: number): number {
    return this.received.filter((r) => r === id).length;
  }
}

/**
 * An empty `IN ()` is invalid SQL, and an empty list should never reach the database; nor
 * should anything but order ids: the fakes fail the way a real adapter would.
 */
function noEmptyList(operation: string, ids: readonly number[]): void {
  if (ids.length === 0) throw new Error(`${operation} was given no ids (an empty IN () list)`);
  const bad = ids.find((id) => !Number.isInteger(id) || id < 1);
  if (bad !== undefined)
    throw new Error(`${operation} was given ${JSON.stringify(bad)}, not an order id`);
}

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps what was logged: the operator's view of a call, asserted as output. */
export class RecordingLogger implements Logger {
  readonly records: LogRecord[] = [];
  readonly debug = this.#at('debug');
  readonly info = this.#at('info');
  readonly warn = this.#at('warn');
  readonly error = this.#at('error');

  /** The records with this message. */
  withMessage(msg: string): Omit<LogRecord, 'msg'>[] {
    return this.records
      .filter((record) => record.msg === msg)
      .map(({ level, fields }) => ({ level, fields }));
  }

  #at(level: LogRecord['level']) {
    return (first: object | string, msg?: string) => {
      this.records.push(
        typeof first === 'string'
          ? { level, msg: first, fields: {} }
          : { level, msg: msg ?? '', fields: { ...first } as Record<string, unknown> },
      );
    };
  }
}
