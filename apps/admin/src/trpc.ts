/**
 * The one place the admin app names the router: its type from `@ocs/api`, type-only, so no
 * server code reaches the bundle. superjson, as the server speaks it: dates stay dates.
 */
import type { AppRouter } from '@ocs/api';
import {
  createTRPCClient,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  TRPCClientError,
} from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import superjson from 'superjson';

export type { AppRouter };

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

/** Same origin: the server serves this app, and Vite's dev server proxies /trpc to it. */
export function createClient(token: () => string | null) {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        // The live views over SSE. EventSource sends no headers: the token goes as tRPC's
        // connectionParams, which the server reads when there is no Authorization header.
        true: httpSubscriptionLink({
          url: '/trpc',
          transformer: superjson,
          connectionParams: () => ({ token: token() ?? '' }),
        }),
        false: httpLink({
          url: '/trpc',
          transformer: superjson,
          headers: () => {
            const value = token();
            return value ? { authorization: `Bearer ${value}` } : {};
          },
        }),
      }),
    ],
  });
}

export type ApiError = TRPCClientError<AppRouter>;

export function isApiError(error: unknown): error is ApiError {
  return error instanceof TRPCClientError;
}
