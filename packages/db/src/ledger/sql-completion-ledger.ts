/**
 * The completion ledger on either dialect (see the port in @ocs/domain for the states).
 *
 * Claims are guarded inserts, not locks held across the notification: per chunk of ids,
 * `INSERT IGNORE` a `claimed` row for each order nobody holds, take over rows whose lease has
 * ended (or that say `finished` while ORDERS says SUBMITTED), then read who holds each one.
 * Every statement is atomic on its own, so two calls racing for an order both see the row
 * the winner wrote; a crash between statements leaves claims that simply expire.
 *
 * Leases are in the database's clock: written from the time the database reports and
 * compared with its current time inside each statement, so a replica whose clock is off by
 * hours neither takes over a live claim nor keeps a dead one alive.
 */
import type { ClaimRequest, ClaimResult, CompletionLedger, OrderId } from '@ocs/domain';
import { sql } from 'drizzle-orm';
import { chunk } from '../chunks.js';
import { readDatabaseTime } from '../database-time.js';
import { resolveStateIds, type StateIds, sortedUniqueIds } from '../mapping.js';
import {
  type CompletionLedgerRow,
  completionLedgerColumns,
  type StoredRow,
  selectNamed,
} from '../rows.js';
import { idList, type SqlExecutor } from './sql-executor.js';

type LedgerRow = StoredRow<Pick<CompletionLedgerRow, 'orderId' | 'state' | 'callId'>>;
const ledgerRowColumns = selectNamed(completionLedgerColumns, undefined, [
  'orderId',
  'state',
  'callId',
]);

/** A run id as an SQL string literal; run ids are generated (UUIDs), so anything else is a bug. */
function runIdLiteral(callId: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(callId)) throw new TypeError(`not a run id: ${callId}`);
  return `'${callId}'`;
}

/** The ledger, always addressed by its primary key (order id). */
const ledger = (db: SqlExecutor) => db.byKey('completion_ledger');

export class SqlCompletionLedger implements CompletionLedger {
  readonly #db: SqlExecutor;
  readonly #chunkSize: number;
  #states: Promise<StateIds> | undefined;

  constructor(db: SqlExecutor, chunkSize: number) {
    this.#db = db;
    this.#chunkSize = chunkSize;
  }

  async claim({ callId, orderIds, leaseMs }: ClaimRequest): Promise<ClaimResult> {
    if (!Number.isInteger(leaseMs) || leaseMs < 1) throw new TypeError(`not a lease: ${leaseMs}`);
    const result: ClaimResult = { toNotify: [], alreadyNotified: [], claimedElsewhere: [] };
    for (const part of chunk(sortedUniqueIds(orderIds), this.#chunkSize)) {
      const inList = idList(part); // checks every id is an integer
      const rows = await this.#db.write(async (db) => {
        // The database's time, read just before the insert: one small statement per chunk
        // instead of the time expression repeated in each of thousands of rows.
        const nowMs = (await readDatabaseTime((q) => db.all(q), db.nowMs)).getTime();
        const untilMs = nowMs + leaseMs;
        // Inlined: ids are checked integers and the run id is checked below, so a thousand
        // rows cost one string, not five thousand bound parameters.
        const tail = `,'claimed',${runIdLiteral(callId)},${untilMs},${nowMs},1)`;
        const values = sql.raw(part.map((id) => `(${id}${tail}`).join(','));
        const inserted = await db.run(
          sql`${db.insertIgnore} completion_ledger (order_id, state, call_id, lease_until, claimed_at, claims) VALUES ${values}`,
        );
        // Every row new: all of them are this call's claims, nothing to take over or read.
        if (inserted === part.length) return null;
        await db.run(sql`UPDATE ${ledger(db)}
          SET call_id = ${callId}, lease_until = ${db.nowMs} + ${leaseMs}, claimed_at = ${db.nowMs},
            claims = claims + 1
          WHERE order_id IN (${inList}) AND call_id <> ${callId} AND state <> 'unconfirmed'
            AND (lease_until <= ${db.nowMs} OR state = 'finished')`);
        return db.all<LedgerRow>(
          sql`SELECT ${ledgerRowColumns} FROM ${ledger(db)} WHERE order_id IN (${inList})`,
        );
      });
      if (rows === null) {
        result.toNotify.push(...part);
        continue;
      }
      const read = new Set<number>();
      for (const row of rows) {
        const orderId = Number(row.orderId);
        read.add(orderId);
        if (row.callId !== callId) result.claimedElsewhere.push(orderId);
        else if (row.state === 'claimed') result.toNotify.push(orderId);
        else result.alreadyNotified.push(orderId);
      }
      // A row gone by the read was released by its holder after our insert was ignored: not
      // ours, so another call's for all this call knows. Every requested id gets an outcome.
      for (const orderId of part) if (!read.has(orderId)) result.claimedElsewhere.push(orderId);
    }
    return result;
  }

  async markNotified(callId: string, orderIds: readonly OrderId[]): Promise<void> {
    for (const part of chunk(sortedUniqueIds(orderIds), this.#chunkSize)) {
      await this.#db.write((db) =>
        db.run(sql`UPDATE ${ledger(db)} SET state = 'notified', notified_at = ${db.nowMs}
          WHERE order_id IN (${idList(part)}) AND call_id = ${callId} AND state = 'claimed'`),
      );
    }
  }

  async release(callId: string, orderIds: readonly OrderId[]): Promise<void> {
    for (const part of chunk(sortedUniqueIds(orderIds), this.#chunkSize)) {
      await this.#db.write((db) =>
        db.run(sql`${db.deleteByKey('completion_ledger')}
          WHERE order_id IN (${idList(part)}) AND call_id = ${callId} AND state = 'claimed'`),
      );
    }
  }

  async hold(callId: string, orderIds: readonly OrderId[]): Promise<void> {
    for (const part of chunk(sortedUniqueIds(orderIds), this.#chunkSize)) {
      await this.#db.write((db) =>
        db.run(sql`UPDATE ${ledger(db)} SET state = 'unconfirmed'
          WHERE order_id IN (${idList(part)}) AND call_id = ${callId} AND state = 'claimed'`),
      );
    }
  }

  async handOver(callId: string, orderIds: readonly OrderId[]): Promise<void> {
    for (const part of chunk(sortedUniqueIds(orderIds), this.#chunkSize)) {
      await this.#db.write((db) =>
        db.run(sql`UPDATE ${ledger(db)} SET lease_until = 0
          WHERE order_id IN (${idList(part)}) AND call_id = ${callId} AND state = 'notified'`),
      );
    }
  }

  /**
   * Per chunk, in one transaction: update the SUBMITTED ones among the ORDERS rows (by primary
   * key, ascending), and mark this call's ledger rows finished. MySQL has no UPDATE ...
   * RETURNING, so when the update changed every row of the chunk (the usual case: these are
   * this call's claims), those are the updated ids. Otherwise the update is rolled back to a
   * savepoint, the rows are locked by primary key and read, and exactly the SUBMITTED ones are
   * updated. The state is deliberately not in the locking query: filtering there takes gap
   * locks, which deadlock overlapping calls.
   */
  async finish(callId: string, orderIds: readonly OrderId[]): Promise<{ updatedIds: OrderId[] }> {
    const ids = sortedUniqueIds(orderIds);
    if (ids.length === 0) return { updatedIds: [] };
    const { submitted, finished } = await this.#stateIds();
    return this.#db.transaction(async (db) => {
      const updatedIds: number[] = [];
      for (const part of chunk(ids, this.#chunkSize)) {
        const finish = (list: readonly number[]) =>
          db.run(sql`UPDATE ${db.byKey('ORDERS')} SET OrderStateId = ${finished}
            WHERE Id IN (${idList(list)}) AND OrderStateId = ${submitted}`);
        await db.run(sql`SAVEPOINT finish_chunk`);
        if ((await finish(part)) === part.length) {
          updatedIds.push(...part);
        } else {
          // Some were no longer SUBMITTED: find out which, under the rows' locks.
          await db.run(sql`ROLLBACK TO SAVEPOINT finish_chunk`);
          const locked = await db.all<{ Id: number; OrderStateId: number }>(
            sql`SELECT Id, OrderStateId FROM ORDERS WHERE Id IN (${idList(part)}) ORDER BY Id${db.forUpdate}`,
          );
          const toFinish = locked
            .filter((row) => Number(row.OrderStateId) === submitted)
            .map((row) => Number(row.Id));
          if (toFinish.length > 0) {
            await finish(toFinish);
            updatedIds.push(...toFinish);
          }
        }
        await db.run(sql`UPDATE ${ledger(db)} SET state = 'finished', finished_at = ${db.nowMs}
          WHERE order_id IN (${idList(part)}) AND call_id = ${callId}`);
      }
      return { updatedIds };
    });
  }

  #stateIds(): Promise<StateIds> {
    this.#states ??= this.#db
      .all<{ Id: number; OrderState: string }>(sql`SELECT Id, OrderState FROM ORDER_STATES`)
      .then((rows) =>
        resolveStateIds(rows.map((row) => ({ id: Number(row.Id), orderState: row.OrderState }))),
      )
      .catch((error: unknown) => {
        this.#states = undefined;
        throw error;
      });
    return this.#states;
  }
}
