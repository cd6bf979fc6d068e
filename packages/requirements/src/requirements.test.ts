import { type Order, type OrderLine, pendingHints, subtractCalendarMonths } from '@ocs/domain';
import { describe, expect, it } from 'vitest';
import { defaultRequirements } from './default-requirements.js';
import { fullyDelivered } from './fully-delivered.js';
import { orderAge } from './order-age.js';
import { orderNotFinished } from './order-not-finished.js';

const now = new Date('2026-11-27T12:00:00.000Z');
const context = { now };

const line = (orderedQuantity: number, deliveredQuantity: number | null, id = 1): OrderLine => ({
  id,
  productId: 1,
  orderedQuantity,
  deliveredQuantity,
});

const order = (overrides: Partial<Order> = {}): Order => ({
  id: 7,
  orderDate: new Date('2025-01-01T00:00:00.000Z'),
  state: 'SUBMITTED',
  lines: [line(10, 10)],
  ...overrides,
});

describe('order-not-finished', () => {
  it('passes a SUBMITTED order', () => {
    expect(orderNotFinished.check(order(), context)).toBeNull();
  });
  it('fails a FINISHED order with its own code, naming the order and its state', () => {
    expect(orderNotFinished.check(order({ state: 'FINISHED' }), context)).toEqual({
      requirement: 'order-not-finished',
      code: 'ORDER.ALREADY_FINISHED',
      message: 'Order 7 is FINISHED, not SUBMITTED',
    });
  });
});

describe('fully-delivered', () => {
  it('passes when delivered equals ordered', () => {
    expect(
      fullyDelivered.check(order({ lines: [line(10, 10), line(3, 3, 2)] }), context),
    ).toBeNull();
  });
  it('passes when more was delivered than ordered', () => {
    expect(fullyDelivered.check(order({ lines: [line(10, 11)] }), context)).toBeNull();
  });
  it('fails when one line is delivered one short, naming the line', () => {
    const result = fullyDelivered.check(order({ lines: [line(10, 10), line(10, 9, 2)] }), context);
    expect(result).toMatchObject({ code: 'ORDER.NOT_FULLY_DELIVERED' });
    expect(result?.message).toContain('line 2: delivered 9 of 10');
  });
  it('names every short line in one message, and the requirement', () => {
    const result = fullyDelivered.check(
      order({ lines: [line(10, 9, 1), line(4, 4, 2), line(5, null, 3)] }),
      context,
    );
    expect(result).toEqual({
      requirement: 'fully-delivered',
      code: 'ORDER.NOT_FULLY_DELIVERED',
      message:
        'Order 7 is not fully delivered (line 1: delivered 9 of 10; line 3: delivered nothing of 5)',
    });
  });

  it('counts a line with nothing recorded as delivered as short, even one ordering 0', () => {
    // null is "not recorded", not 0: such an order waits until the delivery is recorded.
    const result = fullyDelivered.check(order({ lines: [line(0, null)] }), context);
    expect(result).toMatchObject({ code: 'ORDER.NOT_FULLY_DELIVERED' });
    expect(fullyDelivered.check(order({ lines: [line(0, 0)] }), context)).toBeNull();
  });

  it('fails when a delivered quantity is not set', () => {
    const result = fullyDelivered.check(order({ lines: [line(10, null)] }), context);
    expect(result).toMatchObject({ code: 'ORDER.NOT_FULLY_DELIVERED' });
    expect(result?.message).toContain('delivered nothing of 10');
  });
  it('fails an order without lines', () => {
    expect(fullyDelivered.check(order({ lines: [] }), context)).toEqual({
      requirement: 'fully-delivered',
      code: 'ORDER.NO_LINES',
      message: 'Order 7 has no lines',
    });
  });
});

describe('order-age (six months)', () => {
  const requirement = orderAge({ minimumAgeMonths: 6 });
  const sixMonthsBefore = new Date('2026-05-27T12:00:00.000Z');

  it('passes an order exactly six calendar months old (inclusive boundary)', () => {
    expect(requirement.check(order({ orderDate: sixMonthsBefore }), context)).toBeNull();
  });
  it('fails an order one second younger than six months', () => {
    const orderDate = new Date(sixMonthsBefore.getTime() + 1000);
    expect(requirement.check(order({ orderDate }), context)).toEqual({
      requirement: 'order-age',
      code: 'ORDER.TOO_RECENT',
      message:
        'Order 7 was placed 2026-05-27T12:00:01.000Z, less than 6 months before 2026-11-27T12:00:00.000Z',
    });
  });
  it('passes an order one second older than six months', () => {
    const orderDate = new Date(sixMonthsBefore.getTime() - 1000);
    expect(requirement.check(order({ orderDate }), context)).toBeNull();
  });
  it('uses the configured age', () => {
    const oneMonth = orderAge({ minimumAgeMonths: 1 });
    const orderDate = new Date('2026-10-27T12:00:00.000Z');
    expect(oneMonth.check(order({ orderDate }), context)).toBeNull();
    expect(requirement.check(order({ orderDate }), context)).not.toBeNull();
  });
  it('counts calendar months, clamping to the end of shorter months', () => {
    expect(subtractCalendarMonths(new Date('2026-08-31T10:00:00Z'), 6).toISOString()).toBe(
      '2026-02-28T10:00:00.000Z',
    );
    expect(subtractCalendarMonths(new Date('2024-08-31T10:00:00Z'), 6).toISOString()).toBe(
      '2024-02-29T10:00:00.000Z',
    );
    expect(subtractCalendarMonths(new Date('2026-03-15T00:00:00Z'), 6).toISOString()).toBe(
      '2025-09-15T00:00:00.000Z',
    );
  });
});

describe('defaultRequirements', () => {
  it('builds the three requirements, six months by default', () => {
    const list = defaultRequirements();
    expect(list.map((r) => r.name)).toEqual(['order-not-finished', 'fully-delivered', 'order-age']);
    const fiveMonthsOld = order({ orderDate: new Date('2026-06-27T12:00:00.000Z') });
    expect(list.map((r) => r.check(fiveMonthsOld, context)).filter(Boolean)).toHaveLength(1);
  });
  it('takes the age from configuration', () => {
    const list = defaultRequirements({ minimumAgeMonths: 1 });
    const fiveMonthsOld = order({ orderDate: new Date('2026-06-27T12:00:00.000Z') });
    expect(list.map((r) => r.check(fiveMonthsOld, context)).filter(Boolean)).toHaveLength(0);
  });
  it('rejects a negative age with a message naming the key', () => {
    expect(() => defaultRequirements({ minimumAgeMonths: -1 })).toThrow(/minimumAgeMonths/);
  });
});

describe('pending hints', () => {
  it('tell the database the age limit and full delivery, matching what check decides', () => {
    const hints = pendingHints(defaultRequirements({ minimumAgeMonths: 6 }), context);
    expect(hints).toEqual([
      { kind: 'fully-delivered' },
      { kind: 'ordered-on-or-before', date: subtractCalendarMonths(now, 6) },
    ]);
    // The boundary is the same as the check's: an order placed exactly then passes both.
    const boundary = order({ orderDate: subtractCalendarMonths(now, 6) });
    expect(orderAge({ minimumAgeMonths: 6 }).check(boundary, context)).toBeNull();
  });

  it('come only from requirements that give one', () => {
    expect(pendingHints([orderNotFinished], context)).toEqual([]);
  });
});
