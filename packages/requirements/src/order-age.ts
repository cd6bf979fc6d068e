import { type OrderRequirementWithHint, subtractCalendarMonths } from '@ocs/domain';

export interface OrderAgeOptions {
  /** Calendar months an order must be old; the boundary is inclusive. */
  minimumAgeMonths: number;
}

export function orderAge({ minimumAgeMonths }: OrderAgeOptions): OrderRequirementWithHint {
  return {
    name: 'order-age',
    pendingHint: ({ now }) => ({
      kind: 'ordered-on-or-before',
      date: subtractCalendarMonths(now, minimumAgeMonths),
    }),
    check: (order, { now }) => {
      const latestAllowed = subtractCalendarMonths(now, minimumAgeMonths);
      if (order.orderDate.getTime() <= latestAllowed.getTime()) return null;
      return {
        requirement: 'order-age',
        code: 'ORDER.TOO_RECENT',
        message: `Order ${order.id} was placed ${order.orderDate.toISOString()}, less than ${minimumAgeMonths} months before ${now.toISOString()}`,
      };
    },
  };
}
