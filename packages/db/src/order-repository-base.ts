/**
 * The OrderRepository flow both adapters share: the state-id cache, chunked `findByIds`, orders
 * with their lines, keyset paging and the mapping to domain orders. Each adapter supplies only
 * its few queries (the dialects' query builders have unrelated types) and `finishSubmitted`,
 * where the dialects really differ.
 */
import type {
  IdPage,
  MarkFinishedResult,
  Order,
  OrderPage,
  OrderRepository,
  OrderState,
  PendingHint,
} from '@ocs/domain';
import { and, type Column, eq, gt, lte, type SQL, sql } from 'drizzle-orm';
import { chunk } from './chunks.js';
import { idList } from './id-list.js';
import {
  type OrderLineRow,
  type OrderRow,
  resolveStateIds,
  type StateIds,
  sortedUniqueIds,
  toOrders,
} from './mapping.js';
import { keysetPage } from './paging.js';

/** The ORDERS columns the shared conditions are built on: either dialect's `orders` table. */
export interface OrderColumns {
  id: Column;
  orderStateId: Column;
  orderDate: Column;
}

export abstract class OrderRepositoryBase implements OrderRepository {
  readonly #orders: OrderColumns;
  /** Ids per `IN (...)` list and per statement, already checked against the dialect's limit. */
  readonly chunkSize: number;
  #states: Promise<StateIds> | undefined;

  /** The dialect's current-time expression: leases are judged in the database's clock. */
  protected readonly nowMs: SQL;

  constructor(orders: OrderColumns, chunkSize: number, nowMs: SQL) {
    this.#orders = orders;
    this.chunkSize = chunkSize;
    this.nowMs = nowMs;
  }

  /** All ORDER_STATES rows. */
  protected abstract selectStates(): Promise<{ id: number; orderState: string }[]>;
  /** ORDERS rows matching `where`, ascending by id, at most `limit` of them. */
  protected abstract selectOrders(
    where: SQL | undefined,
    limit: number | undefined,
  ): Promise<OrderRow[]>;
  /** The ORDER_LINES of these orders, by order id, then line id. */
  protected abstract selectLines(orderIds: number[]): Promise<OrderLineRow[]>;
  /**
   * Only the ids of the ORDERS rows matching `where` that have no ledger row matching
   * `claimHeld` (`LEFT JOIN completion_ledger ON order_id = Id AND claimHeld ... IS NULL`),
   * ascending, at most `limit` of them. An anti-join, not NOT EXISTS: MariaDB turns that into
   * an IN-subquery materialised over the whole ledger on every page.
   */
  protected abstract selectOrderIdsWithoutClaim(
    where: SQL | undefined,
    claimHeld: SQL,
    limit: number,
  ): Promise<{ id: number }[]>;
  /**
   * Sets the SUBMITTED ones among `ids` (unique, ascending, not empty) to FINISHED, all or
   * nothing, and returns the ids it changed, ascending.
   */
  protected abstract finishSubmitted(ids: number[], states: StateIds): Promise<MarkFinishedResult>;

  /** ORDER_STATES ids looked up by name once: an existing installation may number them otherwise. */
  protected stateIds(): Promise<StateIds> {
    this.#states ??= this.selectStates()
      .then(resolveStateIds)
      .catch((error: unknown) => {
        this.#states = undefined;
        throw error;
      });
    return this.#states;
  }

  async findByIds(ids: readonly number[]): Promise<Order[]> {
    const unique = sortedUniqueIds(ids);
    if (unique.length === 0) return [];
    const states = await this.stateIds();
    const found: Order[] = [];
    for (const part of chunk(unique, this.chunkSize)) {
      // Inlined ids (checked integers): a bound parameter per id is most of drizzle's cost.
      found.push(
        ...(await this.#ordersWithLines(sql`${this.#orders.id} IN (${idList(part)})`, states)),
      );
    }
    return found;
  }

  async #ordersWithLines(
    where: SQL | undefined,
    states: StateIds,
    limit?: number,
  ): Promise<Order[]> {
    const orderRows = await this.selectOrders(where, limit);
    if (orderRows.length === 0) return [];
    const lineRows = await this.selectLines(orderRows.map((row) => row.id));
    return toOrders(orderRows, lineRows, states);
  }

  /** `at` is not stored: the original ORDERS table has no column for it; runs record the time. */
  async markFinished(ids: readonly number[], _at: Date): Promise<MarkFinishedResult> {
    const unique = sortedUniqueIds(ids);
    if (unique.length === 0) return { updatedIds: [] };
    return this.finishSubmitted(unique, await this.stateIds());
  }

  async findPendingIds(query: {
    afterId?: number | undefined;
    limit: number;
    hints?: readonly PendingHint[] | undefined;
  }): Promise<IdPage> {
    const { submitted } = await this.stateIds();
    const hints = query.hints ?? [];
    const rows = await this.selectOrderIdsWithoutClaim(
      and(
        eq(this.#orders.orderStateId, submitted),
        this.#after(query.afterId),
        ...hints.flatMap((hint) =>
          hint.kind === 'ordered-on-or-before' ? [lte(this.#orders.orderDate, hint.date)] : [],
        ),
      ),
      // Claimed by a live call (in the database's clock): being completed now, so not pending.
      // Held for an operator: not pending until someone releases it.
      sql`completion_ledger.state <> 'finished' AND (completion_ledger.lease_until > ${this.nowMs} OR completion_ledger.state = 'unconfirmed')`,
      query.limit + 1,
    );
    const page = keysetPage(rows, query.limit, (row) => row.id);
    let ids = page.rows.map((row) => row.id);
    if (ids.length > 0 && hints.some((hint) => hint.kind === 'fully-delivered')) {
      // Checked on this page's lines, not in the page query: as a NOT EXISTS there, MariaDB
      // materialises it over every ORDER_LINES row, once per page (seconds per page at 1M).
      ids = await this.#fullyDelivered(ids);
    }
    // The cursor is the page's last scanned id, so a page thinned by the hint still advances.
    return { ids, nextCursor: page.nextCursor };
  }

  /** The ids among `ids` with at least one line and every line delivered in full. */
  async #fullyDelivered(ids: number[]): Promise<number[]> {
    const complete = new Map<number, boolean>();
    for (const part of chunk(ids, this.chunkSize)) {
      for (const line of await this.selectLines(part)) {
        const full =
          line.deliveredQuantity !== null && line.deliveredQuantity >= line.orderedQuantity;
        complete.set(line.orderId, (complete.get(line.orderId) ?? true) && full);
      }
    }
    return ids.filter((id) => complete.get(id) === true);
  }

  async list(query: {
    state?: OrderState | undefined;
    afterId?: number | undefined;
    limit: number;
  }): Promise<OrderPage> {
    const states = await this.stateIds();
    const stateId =
      query.state === undefined
        ? undefined
        : query.state === 'SUBMITTED'
          ? states.submitted
          : states.finished;
    const found = await this.#ordersWithLines(
      and(
        stateId === undefined ? undefined : eq(this.#orders.orderStateId, stateId),
        this.#after(query.afterId),
      ),
      states,
      query.limit + 1,
    );
    const page = keysetPage(found, query.limit, (order) => order.id);
    return { orders: page.rows, nextCursor: page.nextCursor };
  }

  #after(afterId: number | undefined): SQL | undefined {
    return afterId === undefined ? undefined : gt(this.#orders.id, afterId);
  }
}
