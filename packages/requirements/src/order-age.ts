import type { OrderRequirement } from '@ocs/domain';

export interface OrderAgeOptions {
  /** Calendar months an order must be old; the boundary is inclusive. */
  minimumAgeMonths: number;
}

/**
 * Subtracts calendar months in UTC, clamping to the month's last day
 * (31 Aug - 6 months = 28/29 Feb), so "six months" means what a person means.
 */
export function subtractCalendarMonths(date: Date, months: number): Date {
  const result = new Date(date.getTime());
  const day = result.getUTCDate();
  result.setUTCDate(1);
  result.setUTCMonth(result.getUTCMonth() - months);
  const lastDay = new Date(
    Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0),
  ).getUTCDate();
  result.setUTCDate(Math.min(day, lastDay));
  return result;
}

export function orderAge({ minimumAgeMonths }: OrderAgeOptions): OrderRequirement {
  return {
    name: 'order-age',
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
