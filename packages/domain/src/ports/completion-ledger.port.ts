import type { OrderId } from '../order.js';

/**
 * The completion ledger: the database's own record of each order's notification, so that
 * overlapping calls, replicas and crashes never notify an order twice.
 *
 * An order moves `claimed` (a call holds it until its lease ends; its notification may be in
 * flight) → `notified` (the notification service acknowledged it) → `finished` (ORDERS says
 * FINISHED, in the same transaction). A claim whose lease ended without an acknowledgement
 * is taken over by the next call, which sends the notification again: that is the one
 * window (a request in flight, or an acknowledgement not yet written, when a process died).
 * Leases are decided in the database's clock (see `DatabaseClock`), never a process's.
 * `unconfirmed` is a claim held for an operator: a request that may have reached a service
 * without idempotency keys (the original `legacy` API) and got no answer; no call sends it
 * again on its own.
 */
export type LedgerState = 'claimed' | 'unconfirmed' | 'notified' | 'finished';

export interface ClaimRequest {
  callId: string;
  /** Unique ids of orders that passed every requirement. */
  orderIds: readonly OrderId[];
  /** How long the claims last, counted in the database's clock from the claiming statement. */
  leaseMs: number;
}

export interface ClaimResult {
  /** Claimed by this call and not acknowledged before: notify these. */
  toNotify: OrderId[];
  /** Claimed by this call, already acknowledged by an earlier one: finish without notifying. */
  alreadyNotified: OrderId[];
  /** Held by another call whose lease has not ended: leave them alone. */
  claimedElsewhere: OrderId[];
}

export interface CompletionLedger {
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /** Records acknowledged notifications of this call's claims (one statement per chunk). */
  markNotified(callId: string, orderIds: readonly OrderId[]): Promise<void>;
  /**
   * Gives up this call's claims of orders that certainly were not delivered, so the next call
   * may notify them at once. Acknowledged orders are never released.
   */
  release(callId: string, orderIds: readonly OrderId[]): Promise<void>;
  /**
   * Holds this call's claims of orders whose request may have been delivered without an
   * answer, for an operator to decide: no call takes them over when the lease ends.
   */
  hold(callId: string, orderIds: readonly OrderId[]): Promise<void>;
  /**
   * Ends this call's lease on acknowledged orders it could not finish, so the next call
   * finishes them at once (without notifying) instead of waiting for the lease.
   */
  handOver(callId: string, orderIds: readonly OrderId[]): Promise<void>;
  /**
   * In one transaction: sets the SUBMITTED ones among these acknowledged orders to FINISHED
   * and their ledger rows to `finished`. Returns the ids whose ORDERS row this call changed.
   */
  finish(callId: string, orderIds: readonly OrderId[]): Promise<{ updatedIds: OrderId[] }>;
}
