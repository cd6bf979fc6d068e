import type { NotificationFailure } from '../complete-order-response.js';
import type { Order, OrderId } from '../order.js';

export type NotificationResult =
  | { orderId: OrderId; ok: true; attempts: number }
  | {
      orderId: OrderId;
      ok: false;
      reason: NotificationFailure;
      /**
       * The request may have reached the service (timed out or dropped after it was sent): do
       * not send it again while its claim lasts. false = it certainly was not delivered (refused
       * connection, an HTTP error answer, open circuit, never sent).
       */
      maybeDelivered: boolean;
    };

export interface NotifyOptions {
  signal?: AbortSignal;
  /**
   * Called once per order as soon as its result is final (before notifyCompleted resolves), so
   * the caller can record acknowledgements in batches while the rest are still in flight.
   */
  onResult?: (result: NotificationResult) => void;
  /**
   * Awaited before each request (first attempt or retry) is sent: the caller's back-pressure,
   * which pauses sending while its acknowledgements are not yet recorded. `false` means "do not
   * send it": the order resolves `cancelled` (not delivered, unless an earlier attempt may have
   * been), while requests already in flight go on and report their answers.
   */
  beforeSend?: () => Promise<boolean>;
}

export interface OrderNotifier {
  /**
   * Tells the notification service that these orders are completed. Resolves with one
   * result per order; a single order's failure is a result, never a rejection. Aborting
   * `signal` stops sending new requests at once (orders never sent resolve `cancelled` with
   * `maybeDelivered: false`); requests in flight resolve as they end (an aborted in-flight
   * request is `maybeDelivered: true`).
   */
  notifyCompleted(orders: readonly Order[], options?: NotifyOptions): Promise<NotificationResult[]>;
}
