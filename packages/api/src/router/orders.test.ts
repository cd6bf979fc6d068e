import {
  emptyCompleteOrderResponse,
  NoOrdersFoundError,
  NoOrdersSuccessfullyNotifiedError,
} from '@ocs/domain';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { type FakeContext, fakeContext } from '../../test/context.js';
import { createCallerFactory } from '../trpc.js';
import { appRouter } from './index.js';

const createCaller = createCallerFactory(appRouter);

async function failure(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

/** What a client receives: the error run through the router's errorFormatter. */
function shapeOf(error: TRPCError) {
  return appRouter._def._config.errorFormatter({
    error,
    type: 'mutation',
    path: 'orders.complete',
    input: undefined,
    ctx: undefined,
    shape: {
      message: error.message,
      code: -32600,
      data: { code: error.code, httpStatus: 400, path: 'orders.complete' },
    },
  });
}

describe('orders.complete', () => {
  it('given a scheduler token, completes the de-duplicated ids and answers with the run id', async () => {
    const ctx = fakeContext('scheduler');
    const result = await createCaller(ctx).orders.complete({ orderIds: [1, 2, 2] });
    expect(ctx.completedCalls).toEqual([[1, 2]]);
    expect(result).toEqual({
      callId: 'run-1',
      ...emptyCompleteOrderResponse(),
      completedOrderIds: [1, 2],
    });
  });

  it('without a token: UNAUTHORIZED, and nothing is completed', async () => {
    const ctx = fakeContext(null);
    const error = await failure(createCaller(ctx).orders.complete({ orderIds: [1] }));
    expect(error.code).toBe('UNAUTHORIZED');
    expect(ctx.completedCalls).toEqual([]);
  });

  it('admin may complete too', async () => {
    const result = await createCaller(fakeContext('admin')).orders.complete({ orderIds: [1] });
    expect(result.completedOrderIds).toEqual([1]);
  });

  it('with more ids than the context allows: BAD_REQUEST naming the limit, with zod fields', async () => {
    const ctx = fakeContext('scheduler', { limits: { maxIdsPerCall: 2 } });
    const error = await failure(createCaller(ctx).orders.complete({ orderIds: [1, 2, 3] }));
    expect(error.code).toBe('BAD_REQUEST');
    const shape = shapeOf(error);
    expect(shape.message).toBe('orderIds: orderIds may contain at most 2 ids per call');
    expect(shape.data.zodError?.fieldErrors).toEqual({
      orderIds: ['orderIds may contain at most 2 ids per call'],
    });
    expect(ctx.completedCalls).toEqual([]);
  });

  it('with bad ids: BAD_REQUEST naming the field', async () => {
    const ctx = fakeContext('scheduler');
    const empty = shapeOf(await failure(createCaller(ctx).orders.complete({ orderIds: [] })));
    expect(empty.message).toBe('orderIds: orderIds must contain at least one id');
    const negative = shapeOf(await failure(createCaller(ctx).orders.complete({ orderIds: [-1] })));
    expect(negative.message).toMatch(/^orderIds\.0: /);
    const notArray = shapeOf(
      await failure(createCaller(ctx).orders.complete({ orderIds: 'x' as unknown as number[] })),
    );
    expect(notArray.message).toBe('orderIds: orderIds must be an array of positive integers');
  });

  it('maps a domain error to BAD_REQUEST with its code and response in data.completion', async () => {
    const response = { ...emptyCompleteOrderResponse(), notFoundOrderIds: [7] };
    const ctx = fakeContext('scheduler', {
      completion: {
        complete: async () => {
          throw new NoOrdersFoundError('None of the orders exist', response, 'run-7');
        },
      },
    });
    const error = await failure(createCaller(ctx).orders.complete({ orderIds: [7] }));
    expect(error.code).toBe('BAD_REQUEST');
    expect(shapeOf(error).data.completion).toEqual({
      code: 'ORDERS.NONE_FOUND',
      response,
      callId: 'run-7',
    });

    const notified = fakeContext('scheduler', {
      completion: {
        complete: async () => {
          throw new NoOrdersSuccessfullyNotifiedError('nobody notified', response);
        },
      },
    });
    const second = await failure(createCaller(notified).orders.complete({ orderIds: [7] }));
    expect(shapeOf(second).data.completion?.code).toBe('ORDERS.NONE_NOTIFIED');
  });

  it('an unexpected failure becomes INTERNAL_SERVER_ERROR without its message', async () => {
    const ctx = fakeContext('scheduler', {
      completion: {
        complete: async () => {
          throw new Error('SELECT * FROM ORDERS failed');
        },
      },
    });
    const error = await failure(createCaller(ctx).orders.complete({ orderIds: [1] }));
    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    const shape = shapeOf(error);
    expect(shape.message).toBe('Internal server error');
    expect(JSON.stringify(shape)).not.toMatch(/SELECT|stack/);
    // Every procedure is safe to repeat, so a 5xx says so (a client may retry it).
    expect(shape.data.retryable).toBe(true);
  });

  it('a bad input is not retryable: repeating it fails the same way', async () => {
    const error = await failure(
      createCaller(fakeContext('scheduler')).orders.complete({ orderIds: [] }),
    );
    expect(error.code).toBe('BAD_REQUEST');
    expect(shapeOf(error).data.retryable).toBe(false);
  });
});

describe('orders reads', () => {
  it('pendingCompletion lists SUBMITTED ids for the scheduler', async () => {
    const page = await createCaller(fakeContext('scheduler')).orders.pendingCompletion({});
    expect(page).toEqual({ ids: [1], nextCursor: null });
  });

  it('list and detail are for admins only: the scheduler gets FORBIDDEN', async () => {
    const caller = createCaller(fakeContext('scheduler'));
    for (const read of [caller.orders.list({}), caller.orders.detail({ id: 1 })]) {
      const error = await failure(read);
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toBe('This procedure needs one of the roles: admin');
    }
  });

  it('list by id keeps the order date a Date; detail sends it as ISO, and answers NOT_FOUND for an unknown id', async () => {
    const caller = createCaller(
      fakeContext('admin', {
        ledgerQueries: {
          entry: async () => null,
          orderHistory: async () => [],
        } as unknown as FakeContext['ledgerQueries'],
      }),
    );
    const { orders } = await caller.orders.list({ id: 1 });
    expect(orders.map((o) => o.id)).toEqual([1]);
    expect(orders[0]?.orderDate).toBeInstanceOf(Date);
    const detail = await caller.orders.detail({ id: 1 });
    expect(detail.order).toMatchObject({ id: 1, orderDate: '2020-01-01T00:00:00.000Z' });
    expect((await failure(caller.orders.detail({ id: 99 }))).code).toBe('NOT_FOUND');
  });
});
