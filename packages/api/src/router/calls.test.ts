import { emptyCompleteOrderResponse } from '@ocs/domain';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { fakeContext } from '../../test/context.js';
import { createCallerFactory } from '../trpc.js';
import { appRouter } from './index.js';

const createCaller = createCallerFactory(appRouter);

describe('runs', () => {
  it('given a recorded run, an admin reads it back with its dates as Dates', async () => {
    const ctx = fakeContext('admin');
    await ctx.calls.start({
      id: 'run-9',
      startedAt: new Date('2026-01-01T00:00:00Z'),
      requestedCount: 1,
    });
    await ctx.calls.complete('run-9', {
      finishedAt: new Date('2026-01-01T00:00:01Z'),
      outcome: 'COMPLETED',
      response: { ...emptyCompleteOrderResponse(), completedOrderIds: [1] },
    });
    const run = await createCaller(ctx).calls.byId({ id: 'run-9' });
    expect(run.startedAt).toBeInstanceOf(Date);
    expect(run.response.completedOrderIds).toEqual([1]);
  });

  it('the scheduler may not read runs', async () => {
    const error = await createCaller(fakeContext('scheduler'))
      .calls.list({})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('FORBIDDEN');
  });

  it('an unknown run is NOT_FOUND', async () => {
    const error = await createCaller(fakeContext('admin'))
      .calls.byId({ id: 'nope' })
      .catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe('NOT_FOUND');
  });
});
