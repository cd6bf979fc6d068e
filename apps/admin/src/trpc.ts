/**
 * The one place the admin app names the router: its type from `@ocs/api`, type-only, so no
 * server code reaches the bundle. superjson, as the server speaks it: dates stay dates.
 */
import type { AppRouter } from '@ocs/api';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import superjson from 'superjson';

export type { AppRouter };

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

/** Same origin: the server serves this app, and Vite's dev server proxies /trpc to it. */
export function createClient(token: () => string | null) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: '/trpc',
        transformer: superjson,
        headers: () => {
          const value = token();
          return value ? { authorization: `Bearer ${value}` } : {};
        },
      }),
    ],
  });
}

export type ApiError = TRPCClientError<AppRouter>;

export function isApiError(error: unknown): error is ApiError {
  return error instanceof TRPCClientError;
}
