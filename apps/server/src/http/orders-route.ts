/** The original API: `POST /orders` with a JSON array of ids → 200 or 400 with the response. */
import { completeInputSchema } from '@ocs/api';
import { isCompletionError, type OrderCompletion, RetryableCallError } from '@ocs/domain';
import type { Context as HonoContext } from 'hono';
import { z } from 'zod';
import type { TokenAuthenticator } from '../auth.js';

export function postOrdersHandler(deps: {
  authenticator: TokenAuthenticator;
  completion: OrderCompletion;
  maxIdsPerCall: number;
}) {
  const inputSchema = completeInputSchema(deps.maxIdsPerCall);
  return async (c: HonoContext) => {
    const principal = deps.authenticator.authenticate(c.req.header('authorization'));
    // Both roles may complete orders, so there is no 403 here (unlike the admin reads).
    if (!principal) return c.json({ error: 'A valid bearer token is required' }, 401);
    const mediaType = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (mediaType !== 'application/json' && !mediaType?.endsWith('+json')) {
      return c.json(
        { error: 'The request body must be JSON (Content-Type: application/json)' },
        415,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      return c.json({ error: 'The request body must be a JSON array of order ids' }, 400);
    }
    const parsed = inputSchema.safeParse({ orderIds: body });
    if (!parsed.success) {
      // The body is the array itself: name positions as body[i], not orderIds.i.
      const message = parsed.error.issues
        .map(
          (i) =>
            `${i.path.length > 1 ? `body[${i.path.slice(1).join('.')}]` : 'body'}: ${i.message}`,
        )
        .join('; ');
      return c.json({ error: message, details: z.flattenError(parsed.error) }, 400);
    }
    try {
      const { callId, response } = await deps.completion.complete(parsed.data.orderIds);
      return c.json({ callId, ...response }, 200);
    } catch (error) {
      if (error instanceof RetryableCallError) {
        return c.json({ error: error.message, retryable: true }, error.status);
      }
      if (!isCompletionError(error)) throw error;
      return c.json(
        { error: error.message, code: error.code, callId: error.callId, ...error.response },
        400,
      );
    }
  };
}
