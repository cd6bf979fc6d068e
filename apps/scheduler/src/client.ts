/** The typed tRPC client: only the router's type comes from @ocs/api. */
import type { AppRouter } from '@ocs/api';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { Logger } from 'pino';
import superjson from 'superjson';

export type ServerClient = ReturnType<typeof createServerClient>;

export interface ServerClientOptions {
  /** Every request's deadline (CALL_TIMEOUT_MS): no call waits longer for its answer. */
  callTimeoutMs: number;
  /** While a call waits, a warning every this many ms, so a partition is never silent. */
  slowCallWarnMs: number;
  logger?: Logger;
}

export const defaultClientOptions: ServerClientOptions = {
  callTimeoutMs: 360_000,
  slowCallWarnMs: 10_000,
};

/** A call got no answer within CALL_TIMEOUT_MS. Its request may have reached the server. */
export class CallTimeoutError extends Error {
  override name = 'CallTimeoutError';
  constructor(
    readonly procedure: string,
    readonly timeoutMs: number,
    server: string,
  ) {
    super(`No answer from ${server} to ${procedure} within ${timeoutMs} ms (CALL_TIMEOUT_MS)`);
  }
}

export function isCallTimeout(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof CallTimeoutError) return true;
    // The answer's head came in time but its body did not: the same deadline ran out.
    if (e.name === 'TimeoutError') return true;
  }
  return false;
}

export function createServerClient(
  serverUrl: string,
  token: string,
  options: ServerClientOptions = defaultClientOptions,
) {
  const server = serverUrl.replace(/\/$/, '');
  const { callTimeoutMs, slowCallWarnMs, logger } = options;
  // Every request gets a timeout on top of the caller's signal (the run's deadline), and a
  // warning while it waits; a timed-out request fails like a lost answer.
  const fetchWithDeadline = async (input: string | URL | Request, init?: RequestInit) => {
    const procedure = new URL(String(input)).pathname.replace(/^.*\/trpc\//, '');
    const timeout = AbortSignal.timeout(callTimeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const started = performance.now();
    const warn = setInterval(() => {
      const waitingMs = Math.round(performance.now() - started);
      logger?.warn(
        { server, procedure, waitingMs, callTimeoutMs },
        `still waiting for ${server} to answer ${procedure} after ${Math.round(waitingMs / 1000)} s`,
      );
    }, slowCallWarnMs);
    warn.unref();
    try {
      return await fetch(input, { ...init, signal });
    } catch (error) {
      if (timeout.aborted && !init?.signal?.aborted) {
        throw new CallTimeoutError(procedure, callTimeoutMs, server);
      }
      throw error;
    } finally {
      clearInterval(warn);
    }
  };
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${server}/trpc`,
        transformer: superjson,
        headers: () => ({ authorization: `Bearer ${token}` }),
        fetch: fetchWithDeadline,
      }),
    ],
  });
}

export function isServerError(error: unknown): error is TRPCClientError<AppRouter> {
  return error instanceof TRPCClientError;
}

/** Polls `health` until the server answers, so a scheduler started beside it can wait. */
export async function waitForServer(client: ServerClient, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await client.health.query(undefined, { signal: AbortSignal.timeout(5000) });
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  return false;
}
