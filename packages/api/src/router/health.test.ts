import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { fakeContext } from '../../test/context.js';
import { createCallerFactory } from '../trpc.js';
import { appRouter } from './index.js';

const createCaller = createCallerFactory(appRouter);

describe('health', () => {
  it('needs no token and answers ok while the database answers', async () => {
    expect(await createCaller(fakeContext(null)).health()).toEqual({
      status: 'ok',
      database: 'up',
    });
  });

  it('answers SERVICE_UNAVAILABLE when the database does not', async () => {
    const ctx = fakeContext(null, {
      pingDatabase: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    });
    const error = await createCaller(ctx)
      .health()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('SERVICE_UNAVAILABLE');
  });
});
