import { emptyCompleteOrderResponse } from '@ocs/domain';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { fakeContext } from '../../test/context.js';
import { createCallerFactory } from '../trpc.js';
import { appRouter } from './index.js';

const createCaller = createCallerFactory(appRouter);

describe('calls', () => {
  it('given a recorded call, an admin reads it back with its dates and its response', async () => {
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
    const call = await createCaller(ctx).calls.detail({ id: 'run-9' });
    expect(call.startedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(call.finishedAt).toBe('2026-01-01T00:00:01.000Z');
    expect(call.durationMs).toBe(1000);
    expect(call.response.completedOrderIds).toEqual([1]);
  });

  it('the scheduler may not read calls', async () => {
    const error = await createCaller(fakeContext('scheduler'))
      .calls.history({})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('FORBIDDEN');
  });

  it('an unknown call is NOT_FOUND', async () => {
    const error = await createCaller(fakeContext('admin'))
      .calls.detail({ id: 'nope' })
      .catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe('NOT_FOUND');
  });
});
