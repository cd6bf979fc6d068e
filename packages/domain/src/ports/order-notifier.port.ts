import type { NotificationFailure } from '../complete-order-response.js';
import type { Order, OrderId } from '../order.js';

export type NotificationResult =
  | { orderId: OrderId; ok: true; attempts: number }
  | { orderId: OrderId; ok: false; reason: NotificationFailure };

export interface NotifyOptions {
  signal?: AbortSignal;
}

export interface OrderNotifier {
  /**
   * Tells the notification service that these orders are completed. Resolves with one
   * result per order; a single order's failure is a result, never a rejection.
   */
  notifyCompleted(orders: readonly Order[], options?: NotifyOptions): Promise<NotificationResult[]>;
}
