import type { OrderRequirementWithHint } from '@ocs/domain';

const failure = (code: string, message: string) => ({
  requirement: 'fully-delivered',
  code,
  message,
});

/** At least one line, and every line delivered in full (over-delivery counts as full). */
export const fullyDelivered: OrderRequirementWithHint = {
  name: 'fully-delivered',
  pendingHint: () => ({ kind: 'fully-delivered' }),
  check: (order) => {
    if (order.lines.length === 0) {
      return failure('ORDER.NO_LINES', `Order ${order.id} has no lines`);
    }
    const short = order.lines.filter(
      (line) => line.deliveredQuantity === null || line.deliveredQuantity < line.orderedQuantity,
    );
    if (short.length === 0) return null;
    const detail = short
      .map(
        (l) =>
          `line ${l.id}: delivered ${l.deliveredQuantity ?? 'nothing'} of ${l.orderedQuantity}`,
      )
      .join('; ');
    return failure(
      'ORDER.NOT_FULLY_DELIVERED',
      `Order ${order.id} is not fully delivered (${detail})`,
    );
  },
};
