/** OrderRepository on MySQL/MariaDB: chunked `IN (...)` queries, locked guarded updates. */
import type {
  IdPage,
  MarkFinishedResult,
  Order,
  OrderPage,
  OrderRepository,
  OrderState,
} from '@ocs/domain';
import { and, asc, eq, gt, inArray, type SQL } from 'drizzle-orm';
import type { MySql2Database } from 'drizzle-orm/mysql2';
import {
  checkChunkSize,
  chunk,
  defaultChunkSize,
  mysqlMaxPlaceholders,
  type OrderRepositoryOptions,
} from '../chunks.js';
import { resolveStateIds, type StateIds, sortedUniqueIds, toOrders } from '../mapping.js';
import * as schema from '../schema/mysql-schema.js';

export type MySqlDatabase = MySql2Database<typeof schema>;

const { orderLines, orders, orderStates } = schema;

const deadlockAttempts = 3;

/** ER_LOCK_DEADLOCK, possibly wrapped by drizzle's query error. */
function isDeadlock(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as { errno?: unknown }).errno === 1213) return true;
  }
  return false;
}

export class MySqlOrderRepository implements OrderRepository {
  readonly #db: MySqlDatabase;
  readonly #chunkSize: number;
  #states: Promise<StateIds> | undefined;

  constructor(db: MySqlDatabase, options: OrderRepositoryOptions = {}) {
    this.#db = db;
    // Two extra placeholders per statement: the state guard.
    this.#chunkSize = checkChunkSize(
      options.chunkSize ?? defaultChunkSize,
      mysqlMaxPlaceholders - 2,
    );
  }

  /** ORDER_STATES ids looked up by name once: an existing installation may number them otherwise. */
  #stateIds(): Promise<StateIds> {
    this.#states ??= this.#db
      .select({ id: orderStates.id, orderState: orderStates.orderState })
      .from(orderStates)
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
    const states = await this.#stateIds();
    const found: Order[] = [];
    for (const part of chunk(unique, this.#chunkSize)) {
      found.push(...(await this.#ordersWithLines(inArray(orders.id, part), states)));
    }
    return found;
  }

  async #ordersWithLines(
    where: SQL | undefined,
    states: StateIds,
    limit?: number,
  ): Promise<Order[]> {
    const query = this.#db
      .select({ id: orders.id, orderDate: orders.orderDate, orderStateId: orders.orderStateId })
      .from(orders)
      .where(where)
      .orderBy(asc(orders.id));
    const orderRows = await (limit === undefined ? query : query.limit(limit));
    if (orderRows.length === 0) return [];
    const lineRows = await this.#db
      .select()
      .from(orderLines)
      .where(
        inArray(
          orderLines.orderId,
          orderRows.map((row) => row.id),
        ),
      )
      .orderBy(asc(orderLines.orderId), asc(orderLines.id));
    return toOrders(orderRows, lineRows, states);
  }

  /**
   * One transaction: per chunk, lock the requested rows by primary key only (`FOR UPDATE`,
   * ascending ids), keep those still SUBMITTED, then update exactly those, still guarded by
   * state. MySQL has no UPDATE ... RETURNING, so the locked SUBMITTED ids are the updated ids.
   * The state is deliberately not in the locking query: filtering there lets InnoDB scan the
   * OrderStateId index and take gap locks, which deadlocks two overlapping calls.
   * A deadlock still rolls everything back, so the whole call is retried a few times.
   * `at` is not stored: the original ORDERS table has no column for it; runs record the time.
   */
  async markFinished(ids: readonly number[], _at: Date): Promise<MarkFinishedResult> {
    const unique = sortedUniqueIds(ids);
    if (unique.length === 0) return { updatedIds: [] };
    const states = await this.#stateIds();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#markFinishedOnce(unique, states);
      } catch (error) {
        if (attempt >= deadlockAttempts || !isDeadlock(error)) throw error;
      }
    }
  }

  #markFinishedOnce(ids: number[], { submitted, finished }: StateIds): Promise<MarkFinishedResult> {
    return this.#db.transaction(async (tx) => {
      const updatedIds: number[] = [];
      for (const part of chunk(ids, this.#chunkSize)) {
        const locked = await tx
          .select({ id: orders.id, orderStateId: orders.orderStateId })
          .from(orders)
          .where(inArray(orders.id, part))
          .orderBy(asc(orders.id))
          .for('update');
        const lockedIds = locked
          .filter((row) => row.orderStateId === submitted)
          .map((row) => row.id);
        if (lockedIds.length === 0) continue;
        await tx
          .update(orders)
          .set({ orderStateId: finished })
          .where(and(inArray(orders.id, lockedIds), eq(orders.orderStateId, submitted)));
        updatedIds.push(...lockedIds);
      }
      return { updatedIds };
    });
  }

  async findPendingIds(query: { afterId?: number | undefined; limit: number }): Promise<IdPage> {
    const { submitted } = await this.#stateIds();
    const rows = await this.#db
      .select({ id: orders.id })
      .from(orders)
      .where(
        and(
          eq(orders.orderStateId, submitted),
          query.afterId === undefined ? undefined : gt(orders.id, query.afterId),
        ),
      )
      .orderBy(asc(orders.id))
      .limit(query.limit + 1);
    const ids = rows.slice(0, query.limit).map((row) => row.id);
    return { ids, nextCursor: rows.length > query.limit ? (ids.at(-1) ?? null) : null };
  }

  async list(query: {
    state?: OrderState | undefined;
    afterId?: number | undefined;
    limit: number;
  }): Promise<OrderPage> {
    const states = await this.#stateIds();
    const stateId =
      query.state === undefined
        ? undefined
        : query.state === 'SUBMITTED'
          ? states.submitted
          : states.finished;
    const page = await this.#ordersWithLines(
      and(
        stateId === undefined ? undefined : eq(orders.orderStateId, stateId),
        query.afterId === undefined ? undefined : gt(orders.id, query.afterId),
      ),
      states,
      query.limit + 1,
    );
    const pageOrders = page.slice(0, query.limit);
    return {
      orders: pageOrders,
      nextCursor: page.length > query.limit ? (pageOrders.at(-1)?.id ?? null) : null,
    };
  }
}
