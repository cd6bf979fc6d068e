/** OrderRepository on MySQL/MariaDB: chunked `IN (...)` queries, locked guarded updates. */
import type { MarkFinishedResult } from '@ocs/domain';
import { and, asc, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import type { MySql2Database } from 'drizzle-orm/mysql2';
import {
  checkChunkSize,
  chunk,
  defaultChunkSize,
  mysqlMaxPlaceholders,
  type OrderRepositoryOptions,
} from '../chunks.js';
import { mySqlNowMs } from '../database-time.js';
import { idList } from '../id-list.js';
import type { StateIds } from '../mapping.js';
import { OrderRepositoryBase } from '../order-repository-base.js';
import * as schema from '../schema/mysql-schema.js';

export type MySqlDatabase = MySql2Database<typeof schema>;

const { completionLedger, orderLines, orders, orderStates } = schema;

const deadlockAttempts = 3;

/** ER_LOCK_DEADLOCK, possibly wrapped by drizzle's query error. */
function isDeadlock(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as { errno?: unknown }).errno === 1213) return true;
  }
  return false;
}

export class MySqlOrderRepository extends OrderRepositoryBase {
  readonly #db: MySqlDatabase;

  constructor(db: MySqlDatabase, options: OrderRepositoryOptions = {}) {
    // Two extra placeholders per statement: the state guard.
    super(
      orders,
      checkChunkSize(options.chunkSize ?? defaultChunkSize, mysqlMaxPlaceholders - 2),
      mySqlNowMs,
    );
    this.#db = db;
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
   * One transaction: per chunk, lock the requested rows by primary key only (`FOR UPDATE`,
   * ascending ids), keep those still SUBMITTED, then update exactly those, still guarded by
   * state. MySQL has no UPDATE ... RETURNING, so the locked SUBMITTED ids are the updated ids.
   * The state is deliberately not in the locking query: filtering there lets InnoDB scan the
   * OrderStateId index and take gap locks, which deadlocks two overlapping calls.
   * A deadlock still rolls everything back, so the whole call is retried a few times.
   */
  protected async finishSubmitted(ids: number[], states: StateIds): Promise<MarkFinishedResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#finishSubmittedOnce(ids, states);
      } catch (error) {
        if (attempt >= deadlockAttempts || !isDeadlock(error)) throw error;
      }
    }
  }

  #finishSubmittedOnce(
    ids: number[],
    { submitted, finished }: StateIds,
  ): Promise<MarkFinishedResult> {
    return this.#db.transaction(async (tx) => {
      const updatedIds: number[] = [];
      for (const part of chunk(ids, this.chunkSize)) {
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
}
