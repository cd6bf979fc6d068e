/**
 * The domain's values: the schemas other services parse our answers with, the calendar, the
 * errors and the small port helpers. Each schema is checked on what it accepts (and returns)
 * and on what it rejects, with the messages a caller sees.
 */
import { describe, expect, it } from 'vitest';
import {
  type CompleteOrderResponse,
  completeOrderResponseSchema,
  completionCallCountsSchema,
  completionCallOutcomeSchema,
  completionCallSchema,
  completionCallSummarySchema,
  countsOf,
  emptyCompleteOrderResponse,
  MAX_ORDER_ID,
  NoOrdersFoundError,
  NoOrdersSuccessfullyNotifiedError,
  NoOrdersSuccessfullyUpdatedError,
  type OrderRequirement,
  orderIdSchema,
  orderLineSchema,
  orderSchema,
  orderStateSchema,
  pendingHints,
  RetryableCallError,
  retryableOrderIds,
  subtractCalendarMonths,
  systemClock,
} from './index.js';

const iso = (date: Date) => date.toISOString();
const at = (text: string) => new Date(text);

describe('subtractCalendarMonths', () => {
  it.each([
    ['2026-08-31T10:00:00.000Z', 6, '2026-02-28T10:00:00.000Z'], // clamped to February's end
    ['2024-08-31T10:00:00.000Z', 6, '2024-02-29T10:00:00.000Z'], // leap year
    ['2026-03-31T23:59:59.999Z', 1, '2026-02-28T23:59:59.999Z'],
    ['2026-05-31T00:00:00.000Z', 1, '2026-04-30T00:00:00.000Z'],
    ['2026-03-15T08:30:00.000Z', 6, '2025-09-15T08:30:00.000Z'], // across a year
    ['2026-01-31T12:00:00.000Z', 13, '2024-12-31T12:00:00.000Z'],
    ['2026-11-27T12:00:00.000Z', 0, '2026-11-27T12:00:00.000Z'],
    ['2026-07-01T00:00:00.000Z', 6, '2026-01-01T00:00:00.000Z'],
  ])('%s minus %i months is %s', (from, months, expected) => {
    const date = at(from);
    expect(iso(subtractCalendarMonths(date, months))).toBe(expected);
    expect(iso(date)).toBe(from); // the argument is left alone
  });
});

describe('order schemas', () => {
  it('accepts order ids from 1 to the INT maximum, naming the range otherwise', () => {
    expect(orderIdSchema.parse(1)).toBe(1);
    expect(orderIdSchema.parse(MAX_ORDER_ID)).toBe(2_147_483_647);
    expect(orderIdSchema.safeParse(0).error?.issues[0]?.message).toBe(
      'an order id is a positive integer',
    );
    expect(orderIdSchema.safeParse(MAX_ORDER_ID + 1).error?.issues[0]?.message).toBe(
      "an order id is at most 2147483647 (the database's INT range)",
    );
    expect(orderIdSchema.safeParse(1.5).success).toBe(false);
  });

  it('knows the two states', () => {
    expect(orderStateSchema.options).toEqual(['SUBMITTED', 'FINISHED']);
    expect(orderStateSchema.safeParse('CANCELLED').success).toBe(false);
  });

  it('parses an order with its lines, keeping every field', () => {
    const order = {
      id: 7,
      orderDate: at('2026-01-01T00:00:00.000Z'),
      state: 'SUBMITTED',
      lines: [{ id: 70, productId: 3, orderedQuantity: 2, deliveredQuantity: null }],
    };
    expect(orderSchema.parse(order)).toEqual(order);
    expect(orderLineSchema.safeParse({ ...order.lines[0], productId: 0 }).success).toBe(false);
    expect(orderLineSchema.safeParse({ ...order.lines[0], id: 0 }).success).toBe(false);
    expect(orderLineSchema.safeParse({ id: 1, productId: 1, orderedQuantity: 1 }).success).toBe(
      false,
    );
    expect(orderSchema.safeParse({ ...order, lines: undefined }).success).toBe(false);
    expect(orderSchema.safeParse({ ...order, orderDate: '2026-01-01' }).success).toBe(false);
  });
});

const fullResponse: CompleteOrderResponse = {
  completedOrderIds: [1],
  notFoundOrderIds: [2],
  unsuccessfulOrders: [
    {
      orderId: 3,
      reasons: [{ requirement: 'order-age', code: 'ORDER.TOO_RECENT', message: 'recent' }],
    },
  ],
  unsuccessfullyNotifiedOrders: [
    { orderId: 4, reason: { kind: 'http-status', message: 'HTTP 500', status: 500, attempts: 4 } },
  ],
  unsuccessfullyUpdatedOrders: [
    { orderId: 5, reason: { code: 'UPDATE.FAILED', message: 'rolled back' } },
    { orderId: 6, reason: { code: 'UPDATE.NOT_SUBMITTED', message: 'finished elsewhere' } },
  ],
  claimedElsewhereOrders: [
    { orderId: 7, reason: { code: 'CLAIM.CLAIMED_ELSEWHERE', message: 'held' } },
  ],
};

describe('completeOrderResponseSchema', () => {
  it('parses a response with every list, keeping every field', () => {
    expect(completeOrderResponseSchema.parse(fullResponse)).toEqual(fullResponse);
  });

  it.each(['http-status', 'timeout', 'circuit-open', 'network', 'rejected', 'cancelled'])(
    'accepts the notification failure kind %s',
    (kind) => {
      const response = {
        ...emptyCompleteOrderResponse(),
        unsuccessfullyNotifiedOrders: [{ orderId: 1, reason: { kind, message: 'm', attempts: 1 } }],
      };
      expect(completeOrderResponseSchema.parse(response)).toEqual(response);
    },
  );

  it('rejects unknown kinds and codes, a failure without reasons and negative attempts', () => {
    const parse = (patch: Partial<Record<keyof CompleteOrderResponse, unknown>>) =>
      completeOrderResponseSchema.safeParse({ ...emptyCompleteOrderResponse(), ...patch }).success;
    expect(parse({})).toBe(true);
    expect(
      parse({
        unsuccessfullyNotifiedOrders: [
          { orderId: 1, reason: { kind: 'lost', message: 'm', attempts: 1 } },
        ],
      }),
    ).toBe(false);
    expect(
      parse({
        unsuccessfullyNotifiedOrders: [
          { orderId: 1, reason: { kind: 'timeout', message: 'm', attempts: -1 } },
        ],
      }),
    ).toBe(false);
    expect(
      parse({
        unsuccessfullyUpdatedOrders: [
          { orderId: 1, reason: { code: 'UPDATE.OTHER', message: 'm' } },
        ],
      }),
    ).toBe(false);
    expect(
      parse({
        claimedElsewhereOrders: [{ orderId: 1, reason: { code: 'CLAIM.OTHER', message: 'm' } }],
      }),
    ).toBe(false);
    expect(parse({ unsuccessfulOrders: [{ orderId: 1, reasons: [] }] })).toBe(false);
    const two = [
      { requirement: 'a', code: 'A', message: 'a' },
      { requirement: 'b', code: 'B', message: 'b' },
    ];
    expect(parse({ unsuccessfulOrders: [{ orderId: 1, reasons: two }] })).toBe(true);
    expect(
      parse({ unsuccessfulOrders: [{ orderId: 1, reasons: [{ code: 'A', message: 'a' }] }] }),
    ).toBe(false);
  });

  it('defaults claimedElsewhereOrders to an empty list for answers of older servers', () => {
    const { claimedElsewhereOrders: _, ...older } = emptyCompleteOrderResponse();
    expect(completeOrderResponseSchema.parse(older)).toEqual(emptyCompleteOrderResponse());
  });

  it('starts empty', () => {
    expect(emptyCompleteOrderResponse()).toEqual({
      completedOrderIds: [],
      notFoundOrderIds: [],
      unsuccessfulOrders: [],
      unsuccessfullyNotifiedOrders: [],
      unsuccessfullyUpdatedOrders: [],
      claimedElsewhereOrders: [],
    });
  });

  it('names as retryable the not notified, the claimed elsewhere and the failed updates only', () => {
    expect(retryableOrderIds(fullResponse)).toEqual([4, 7, 5]);
  });
});

describe('completion runs', () => {
  it('has these outcomes', () => {
    expect(completionCallOutcomeSchema.options).toEqual([
      'RUNNING',
      'COMPLETED',
      'ORDERS.NONE_FOUND',
      'ORDERS.NONE_NOTIFIED',
      'ORDERS.NONE_UPDATED',
      'FAILED',
    ]);
  });

  it('counts each outcome of a response, an order finished by another call apart', () => {
    expect(countsOf(fullResponse)).toEqual({
      completed: 1,
      finished_elsewhere: 1,
      not_found: 1,
      failed_requirements: 1,
      not_notified: 1,
      not_updated: 1,
      claimed_elsewhere: 1,
    });
    expect(completionCallCountsSchema.parse(countsOf(fullResponse))).toEqual(
      countsOf(fullResponse),
    );
    expect(
      completionCallCountsSchema.safeParse({ ...countsOf(fullResponse), completed: -1 }).success,
    ).toBe(false);
  });

  it('parses a run with its summary and response, keeping every field', () => {
    const summary = {
      id: '01J0000000000000000000000',
      startedAt: at('2026-11-27T12:00:00.000Z'),
      finishedAt: null,
      requestedCount: 7,
      outcome: 'RUNNING',
      failedCount: 0,
      counts: countsOf(emptyCompleteOrderResponse()),
      runId: null,
    };
    expect(completionCallSummarySchema.parse(summary)).toEqual(summary);
    expect(completionCallSummarySchema.safeParse({ ...summary, id: '' }).success).toBe(false);
    const run = { ...summary, response: fullResponse };
    expect(completionCallSchema.parse(run)).toEqual(run);
    expect(completionCallSchema.safeParse(summary).success).toBe(false);
  });
});

describe('completion errors', () => {
  it.each([
    [NoOrdersFoundError, 'ORDERS.NONE_FOUND'],
    [NoOrdersSuccessfullyNotifiedError, 'ORDERS.NONE_NOTIFIED'],
    [NoOrdersSuccessfullyUpdatedError, 'ORDERS.NONE_UPDATED'],
  ])('%o carries its code, its name, the response and the run', (ErrorClass, code) => {
    const response = emptyCompleteOrderResponse();
    const error = new ErrorClass('nothing completed', response, 'run-9');
    expect(error).toMatchObject({ code, name: ErrorClass.name, message: 'nothing completed' });
    expect(error.response).toBe(response);
    expect(error.callId).toBe('run-9');
    expect(new ErrorClass('m', response).callId).toBe('');
  });

  it('a retryable call failure says so to callers that only see its fields', () => {
    const error = new RetryableCallError('the server is shutting down', 503);
    expect(error).toBeInstanceOf(Error);
    expect({ ...error, name: error.name, message: error.message }).toEqual({
      name: 'RetryableCallError',
      message: 'the server is shutting down',
      retryable: true,
      status: 503,
    });
  });
});

describe('ports', () => {
  it('the system clock tells the time', () => {
    const before = Date.now();
    const now = systemClock.now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('pendingHints collects the hints of the requirements that give one, in order', () => {
    const context = { now: at('2026-11-27T12:00:00.000Z') };
    const plain: OrderRequirement = { name: 'plain', check: () => null };
    const hinting = (date: Date) => ({
      name: 'hinting',
      check: () => null,
      pendingHint: ({ now }: { now: Date }) => ({
        kind: 'ordered-on-or-before' as const,
        date: new Date(Math.min(now.getTime(), date.getTime())),
      }),
    });
    const notAFunction = { name: 'odd', check: () => null, pendingHint: 'soon' };

    expect(
      pendingHints(
        [
          plain,
          hinting(at('2026-01-01T00:00:00.000Z')),
          notAFunction as OrderRequirement,
          {
            name: 'delivered',
            check: () => null,
            pendingHint: () => ({ kind: 'fully-delivered' as const }),
          } as OrderRequirement,
        ],
        context,
      ),
    ).toEqual([
      { kind: 'ordered-on-or-before', date: at('2026-01-01T00:00:00.000Z') },
      { kind: 'fully-delivered' },
    ]);
    expect(pendingHints([plain], context)).toEqual([]);
  });
});
