/**
 * The idempotency key of an order's completion notification:
 * `${keyNamespace}:order-completed:${orderId}`. Deterministic on purpose: every retry, every
 * later run and every replica of one installation sends the same key for the same order, so the
 * service can tell a repeat from a new notification; the namespace (the installation id) keeps
 * two installations sharing one service (or a restored database) from colliding.
 */
export function idempotencyKeyFor(keyNamespace: string, orderId: number): string {
  return `${keyNamespace}:order-completed:${orderId}`;
}
