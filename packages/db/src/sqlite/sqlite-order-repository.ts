/** OrderRepository on the embedded SQLite database (libsql): chunked `IN (...)` queries, guarded updates. */
import type { MarkFinishedResult } from '@ocs/domain';
import { and, asc, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import type { LibSQLDatabase } from 'drizzle-orm/libsql';
import {
  checkChunkSize,
  chunk,
  defaultChunkSize,
  type OrderRepositoryOptions,
  sqliteMaxVariables,
} from '../chunks.js';
import { sqliteNowMs } from '../database-time.js';
import { idList } from '../id-list.js';
import type { StateIds } from '../mapping.js';
import { OrderRepositoryBase } from '../order-repository-base.js';
import * as schema from '../schema/sqlite-schema.js';
import { noWriteLock, type WriteLock } from './write-lock.js';

export type SqliteDatabase = LibSQLDatabase<typeof schema>;

const { completionLedger, orderLines, orders, orderStates } = schema;

export class SqliteOrderRepository extends OrderRepositoryBase {
  readonly #db: SqliteDatabase;
  readonly #writeLock: WriteLock;

  constructor(
    db: SqliteDatabase,
    options: OrderRepositoryOptions & { writeLock?: WriteLock } = {},
  ) {
    // Two extra placeholders per statement: the state guard.
    super(
      orders,
      checkChunkSize(options.chunkSize ?? defaultChunkSize, sqliteMaxVariables - 2),
      sqliteNowMs,
    );
    this.#db = db;
    this.#writeLock = options.writeLock ?? noWriteLock;
  }

  protected selectStates() {
    return this.#db
      .select({ id: orderStates.id, orderState: orderStates.orderState })
      .from(orderStates);
  }

  protected selectOrders(where: SQL | undefined, limit: number | undefined) {
    const query = this.#db
      .select({ id: orders.id, orderDate: orders.orderDate, orderStateId: orders.orderStateId })
      .from(orders)
      .where(where)
      .orderBy(asc(orders.id));
    return limit === undefined ? query : query.limit(limit);
  }

  protected selectLines(orderIds: number[]) {
    return this.#db
      .select()
      .from(orderLines)
      .where(sql`${orderLines.orderId} IN (${idList(orderIds)})`)
      .orderBy(asc(orderLines.orderId), asc(orderLines.id));
  }

  protected selectOrderIdsWithoutClaim(where: SQL | undefined, claimHeld: SQL, limit: number) {
    return this.#db
      .select({ id: orders.id })
      .from(orders)
      .leftJoin(completionLedger, and(eq(completionLedger.orderId, orders.id), claimHeld))
      .where(and(where, isNull(completionLedger.orderId)))
      .orderBy(asc(orders.id))
      .limit(limit);
  }

  /**
   * One write transaction (libsql begins it IMMEDIATE, so no other writer interleaves): per
   * chunk one UPDATE guarded by state, RETURNING the ids it changed.
   */
  protected finishSubmitted(
    ids: number[],
    { submitted, finished }: StateIds,
  ): Promise<MarkFinishedResult> {
    return this.#writeLock(() =>
      this.#db.transaction(async (tx) => {
        const updatedIds: number[] = [];
        for (const part of chunk(ids, this.chunkSize)) {
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
}
