/**
 * The one place the admin app names the server's router: change this import when the router
 * moves to `@ocs/api`. Type-only, so no server code reaches the bundle.
 */
import type { AppRouter } from '@ocs/server/router';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';

export type { AppRouter };

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

/** Same origin: the server serves this app, and Vite's dev server proxies /trpc to it. */
export function createClient(token: () => string | null) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: '/trpc',
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
