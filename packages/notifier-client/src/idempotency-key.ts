/**
 * The idempotency key of an order's completion notification. Deterministic on purpose: every
 * retry, every later run and every replica sends the same key for the same order, so the
 * service can tell a repeat from a new notification.
 */
export function idempotencyKeyFor(orderId: number): string {
  return `order-completed-${orderId}`;
}
