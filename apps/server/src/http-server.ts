/**
 * The HTTP adapter: tRPC under /trpc, and the original service's `POST /orders` so an
 * existing scheduler keeps working during a migration (DESIGN.md §6).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { appRouter, type Context, completeInputSchema } from '@ocs/api';
import { isCompletionError, type Logger } from '@ocs/domain';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { z } from 'zod';
import type { TokenAuthenticator } from './auth.js';

export interface HttpServerDependencies {
  authenticator: TokenAuthenticator;
  context: Omit<Context, 'principal' | 'limits'>;
  logger: Logger;
  maxIdsPerCall: number;
  bodyLimitBytes: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) throw new HttpError(413, `The request body exceeds ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `The request body exceeds ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createHttpServer(deps: HttpServerDependencies): Server {
  const { authenticator, logger } = deps;
  const inputSchema = completeInputSchema(deps.maxIdsPerCall);

  const trpcHandler = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    // One HTTP request, one procedure: batching would run completion calls side by side.
    allowBatching: false,
    maxBodySize: deps.bodyLimitBytes,
    createContext: ({ req }): Context => ({
      ...deps.context,
      limits: { maxIdsPerCall: deps.maxIdsPerCall },
      principal: authenticator.authenticate(req.headers.authorization),
    }),
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        logger.error({ err: error.cause ?? error, path }, 'procedure failed');
      }
    },
  });

  /** The original API: a JSON array of ids → 200 or 400 with the response body. */
  async function postOrders(req: IncomingMessage, res: ServerResponse) {
    const principal = authenticator.authenticate(req.headers.authorization);
    // Both roles may complete orders, so there is no 403 here (unlike the admin reads).
    if (!principal) throw new HttpError(401, 'A valid bearer token is required');
    const text = await readBody(req, deps.bodyLimitBytes);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'The request body must be a JSON array of order ids');
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
      sendJson(res, 400, { error: message, details: z.flattenError(parsed.error) });
      return;
    }
    try {
      const { runId, response } = await deps.context.completion.complete(parsed.data.orderIds);
      sendJson(res, 200, { runId, ...response });
    } catch (error) {
      if (!isCompletionError(error)) throw error;
      sendJson(res, 400, { error: error.message, code: error.code, ...error.response });
    }
  }

  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path?.startsWith('/trpc/')) {
      trpcHandler(req, res);
      return;
    }
    const route =
      path === '/orders'
        ? req.method === 'POST'
          ? postOrders(req, res)
          : Promise.reject(new HttpError(405, 'Use POST /orders'))
        : Promise.reject(new HttpError(404, `No route for ${req.method} ${path}`));
    route.catch((error: unknown) => {
      if (error instanceof HttpError) {
        if (error.status === 413) res.setHeader('connection', 'close');
        sendJson(res, error.status, { error: error.message });
        return;
      }
      logger.error({ err: error }, 'POST /orders failed');
      sendJson(res, 500, { error: 'Internal server error' });
    });
  });
}
