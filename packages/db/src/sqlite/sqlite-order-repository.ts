/** OrderRepository on the embedded SQLite database (libsql): chunked `IN (...)` queries, guarded updates. */
import type {
  IdPage,
  MarkFinishedResult,
  Order,
  OrderPage,
  OrderRepository,
  OrderState,
} from '@ocs/domain';
import { and, asc, eq, gt, inArray, type SQL } from 'drizzle-orm';
import type { LibSQLDatabase } from 'drizzle-orm/libsql';
import {
  checkChunkSize,
  chunk,
  defaultChunkSize,
  type OrderRepositoryOptions,
  sqliteMaxVariables,
} from '../chunks.js';
import { resolveStateIds, type StateIds, sortedUniqueIds, toOrders } from '../mapping.js';
import * as schema from '../schema/sqlite-schema.js';
import { noWriteLock, type WriteLock } from './write-lock.js';

export type SqliteDatabase = LibSQLDatabase<typeof schema>;

const { orderLines, orders, orderStates } = schema;

export class SqliteOrderRepository implements OrderRepository {
  readonly #db: SqliteDatabase;
  readonly #chunkSize: number;
  #states: Promise<StateIds> | undefined;

  readonly #writeLock: WriteLock;

  constructor(
    db: SqliteDatabase,
    options: OrderRepositoryOptions & { writeLock?: WriteLock } = {},
  ) {
    this.#db = db;
    this.#writeLock = options.writeLock ?? noWriteLock;
    // Two extra placeholders per statement: the state guard.
    this.#chunkSize = checkChunkSize(options.chunkSize ?? defaultChunkSize, sqliteMaxVariables - 2);
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
   * One write transaction (libsql begins it IMMEDIATE, so no other writer interleaves): per
   * chunk one UPDATE guarded by state, RETURNING the ids it changed.
   * `at` is not stored: the original ORDERS table has no column for it; runs record the time.
   */
  async markFinished(ids: readonly number[], _at: Date): Promise<MarkFinishedResult> {
    const unique = sortedUniqueIds(ids);
    if (unique.length === 0) return { updatedIds: [] };
    const { submitted, finished } = await this.#stateIds();
    return this.#writeLock(() =>
      this.#db.transaction(async (tx) => {
        const updatedIds: number[] = [];
        for (const part of chunk(unique, this.#chunkSize)) {
          const updated = await tx
            .update(orders)
            .set({ orderStateId: finished })
            .where(and(inArray(orders.id, part), eq(orders.orderStateId, submitted)))
            .returning({ id: orders.id });
          updatedIds.push(...updated.map((row) => row.id));
        }
        return { updatedIds: updatedIds.sort((a, b) => a - b) };
      }),
    );
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
