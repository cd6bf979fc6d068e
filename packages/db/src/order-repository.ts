/**
 * OrderRepository on any SQL dialect: the state-id cache, chunked `IN (...)` queries, orders
 * with their lines, keyset paging, and finishing orders under row locks with guarded updates.
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
import { and, eq, gt, isNull, lte, type SQL, sql } from 'drizzle-orm';
import { checkChunkSize, chunk, defaultChunkSize, type OrderRepositoryOptions } from './chunks.js';
import type { DialectTables, SqlDialect } from './dialect.js';
import { idList } from './id-list.js';
import type { RetryPolicy, SqlExecutor } from './ledger/sql-executor.js';
import { resolveStateIds, type StateIds, sortedUniqueIds, toOrders } from './mapping.js';
import { keysetPage } from './paging.js';
import { columnsAs, decoder } from './rows.js';

const orderKeys = ['id', 'orderDate', 'orderStateId'] as const;
const lineKeys = ['id', 'orderId', 'productId', 'orderedQuantity', 'deliveredQuantity'] as const;

export class SqlOrderRepository implements OrderRepository {
  readonly #q: SqlExecutor;
  readonly #t: DialectTables;
  /** A deadlock rolls everything back, so finishing is retried as a whole a few times. */
  readonly #finishRetry: RetryPolicy;
  readonly #decodeOrder;
  readonly #decodeLine;
  readonly #decodeLineOrderId;
  /** Ids per `IN (...)` list and per statement, already checked against the dialect's limit. */
  readonly chunkSize: number;
  #states: Promise<StateIds> | undefined;

  constructor(dialect: SqlDialect, options: OrderRepositoryOptions = {}) {
    this.#q = dialect.executor;
    this.#t = dialect.tables;
    this.#finishRetry = { attempts: 3, retryIf: dialect.errors.isDeadlock };
    this.#decodeOrder = decoder(this.#t.orders, orderKeys);
    this.#decodeLine = decoder(this.#t.orderLines, lineKeys);
    this.#decodeLineOrderId = decoder(this.#t.orderLines, ['orderId']);
    // Two extra placeholders per statement: the state guard.
    this.chunkSize = checkChunkSize(
      options.chunkSize ?? defaultChunkSize,
      dialect.maxPlaceholders - 2,
    );
  }

  /** ORDER_STATES ids looked up by name once: an existing installation may number them otherwise. */
  #stateIds(): Promise<StateIds> {
    const { orderStates } = this.#t;
    const decode = decoder(orderStates, ['id', 'orderState']);
    this.#states ??= this.#q
      .all<Record<string, unknown>>(
        sql`SELECT ${columnsAs(orderStates, ['id', 'orderState'])} FROM ${orderStates}`,
      )
      .then((rows) => resolveStateIds(rows.map(decode)))
      .catch((error: unknown) => {
        this.#states = undefined;
        throw error;
      });
    return this.#states;
  }

  /** ORDERS rows matching `where`, ascending by id, at most `limit` of them. */
  async #selectOrders(where: SQL | undefined, limit: number | undefined) {
    const { orders } = this.#t;
    const rows = await this.#q.all<Record<string, unknown>>(
      sql`SELECT ${columnsAs(orders, orderKeys)} FROM ${orders}${where ? sql` WHERE ${where}` : sql``} ORDER BY ${orders.id}${limit === undefined ? sql`` : sql` LIMIT ${limit}`}`,
    );
    return rows.map(this.#decodeOrder);
  }

  /** The ORDER_LINES of these orders, by order id, then line id. */
  async #selectLines(orderIds: number[]) {
    const { orderLines } = this.#t;
    // Inlined ids (checked integers): a bound parameter per id is most of the cost.
    const rows = await this.#q.all<Record<string, unknown>>(
      sql`SELECT ${columnsAs(orderLines, lineKeys)} FROM ${orderLines}
        WHERE ${orderLines.orderId} IN (${idList(orderIds)})
        ORDER BY ${orderLines.orderId}, ${orderLines.id}`,
    );
    return rows.map(this.#decodeLine);
  }

  async findByIds(ids: readonly number[]): Promise<Order[]> {
    const unique = sortedUniqueIds(ids);
    if (unique.length === 0) return [];
    const states = await this.#stateIds();
    const found: Order[] = [];
    for (const part of chunk(unique, this.chunkSize)) {
      found.push(
        ...(await this.#ordersWithLines(sql`${this.#t.orders.id} IN (${idList(part)})`, states)),
      );
    }
    return found;
  }

  async #ordersWithLines(
    where: SQL | undefined,
    states: StateIds,
    limit?: number,
  ): Promise<Order[]> {
    const orderRows = await this.#selectOrders(where, limit);
    if (orderRows.length === 0) return [];
    const lineRows = await this.#selectLines(orderRows.map((row) => row.id));
    return toOrders(orderRows, lineRows, states);
  }

  /**
   * `at` is not stored: the original ORDERS table has no column for it; runs record the time.
   *
   * One transaction: per chunk, lock the requested rows by primary key only (`FOR UPDATE`
   * where the dialect locks rows, ascending ids), keep those still SUBMITTED, then update
   * exactly those, still guarded by state; the locked SUBMITTED ids are the updated ids (MySQL
   * has no UPDATE ... RETURNING). The state is deliberately not in the locking query:
   * filtering there lets InnoDB scan the OrderStateId index and take gap locks, which
   * deadlocks two overlapping calls.
   */
  async markFinished(ids: readonly number[], _at: Date): Promise<MarkFinishedResult> {
    const unique = sortedUniqueIds(ids);
    if (unique.length === 0) return { updatedIds: [] };
    const { submitted, finished } = await this.#stateIds();
    const { orders } = this.#t;
    const decode = decoder(orders, ['id', 'orderStateId']);
    return this.#q.transaction(async (q) => {
      const updatedIds: number[] = [];
      for (const part of chunk(unique, this.chunkSize)) {
        const locked = await q.all<Record<string, unknown>>(
          sql`SELECT ${columnsAs(orders, ['id', 'orderStateId'])} FROM ${orders}
            WHERE ${orders.id} IN (${idList(part)}) ORDER BY ${orders.id}${q.forUpdate}`,
        );
        const lockedIds = locked
          .map(decode)
          .filter((row) => row.orderStateId === submitted)
          .map((row) => row.id);
        if (lockedIds.length === 0) continue;
        await q.run(
          sql`UPDATE ${orders} SET ${sql.identifier(orders.orderStateId.name)} = ${finished}
            WHERE ${orders.id} IN (${idList(lockedIds)}) AND ${eq(orders.orderStateId, submitted)}`,
        );
        updatedIds.push(...lockedIds);
      }
      return { updatedIds };
    }, this.#finishRetry);
  }

  async findPendingIds(query: {
    afterId?: number | undefined;
    limit: number;
    hints?: readonly PendingHint[] | undefined;
  }): Promise<IdPage> {
    const { submitted } = await this.#stateIds();
    const { orders, completionLedger } = this.#t;
    const hints = query.hints ?? [];
    const where = and(
      eq(orders.orderStateId, submitted),
      this.#after(query.afterId),
      ...hints.flatMap((hint) =>
        hint.kind === 'ordered-on-or-before' ? [lte(orders.orderDate, hint.date)] : [],
      ),
    );
    // Claimed by a live call (in the database's clock): being completed now, so not pending.
    // Held for an operator: not pending until someone releases it.
    const claimHeld = sql`completion_ledger.state <> 'finished' AND (completion_ledger.lease_until > ${this.#q.nowMs} OR completion_ledger.state = 'unconfirmed')`;
    // An anti-join, not NOT EXISTS: MariaDB turns that into an IN-subquery materialised over
    // the whole ledger on every page.
    const rows = (
      await this.#q.all<Record<string, unknown>>(
        sql`SELECT ${columnsAs(orders, ['id'])} FROM ${orders}
          LEFT JOIN ${completionLedger}
            ON ${and(eq(completionLedger.orderId, orders.id), claimHeld)}
          WHERE ${and(where, isNull(completionLedger.orderId))}
          ORDER BY ${orders.id} LIMIT ${query.limit + 1}`,
      )
    ).map(decoder(orders, ['id']));
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

  /**
   * The ids among `ids` with at least one line and every line delivered in full, decided by the
   * database (one row per passing order comes back, not every line): the lines leave the
   * database once per run, in the completion call's fetch.
   */
  async #fullyDelivered(ids: number[]): Promise<number[]> {
    const { orderLines } = this.#t;
    const passing = new Set<number>();
    for (const part of chunk(ids, this.chunkSize)) {
      const rows = await this.#q.all<Record<string, unknown>>(
        sql`SELECT ${columnsAs(orderLines, ['orderId'])} FROM ${orderLines}
          WHERE ${orderLines.orderId} IN (${idList(part)})
          GROUP BY ${orderLines.orderId}
          HAVING SUM(CASE WHEN ${orderLines.deliveredQuantity} IS NULL
            OR ${orderLines.deliveredQuantity} < ${orderLines.orderedQuantity} THEN 1 ELSE 0 END) = 0`,
      );
      for (const row of rows) passing.add(this.#decodeLineOrderId(row).orderId);
    }
    return ids.filter((id) => passing.has(id));
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
    const found = await this.#ordersWithLines(
      and(
        stateId === undefined ? undefined : eq(this.#t.orders.orderStateId, stateId),
        this.#after(query.afterId),
      ),
      states,
      query.limit + 1,
    );
    const page = keysetPage(found, query.limit, (order) => order.id);
    return { orders: page.rows, nextCursor: page.nextCursor };
  }

  #after(afterId: number | undefined): SQL | undefined {
    return afterId === undefined ? undefined : gt(this.#t.orders.id, afterId);
  }
}
