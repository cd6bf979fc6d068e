/**
 * The HTTP adapter: tRPC under /trpc, and the original service's `POST /orders` so an
 * existing scheduler keeps working during a migration (DESIGN.md §6).
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { isCompletionError, type Logger } from '@ocs/domain';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { z } from 'zod';
import type { TokenAuthenticator } from './auth.js';
import { RetryableCallError } from './completion-service.js';
import { type AppRouter, createAppRouter } from './router/index.js';
import { completeInputSchema } from './router/orders.js';
import type { Context } from './trpc.js';

export interface HttpServerDependencies {
  authenticator: TokenAuthenticator;
  context: Omit<Context, 'principal'>;
  logger: Logger;
  maxIdsPerCall: number;
  bodyLimitBytes: number;
  /** The built admin app, served for GET requests outside the API; none when absent. */
  staticDir?: string | undefined;
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

/**
 * Once shutdown has begun, every response (including one to a request that arrived before)
 * says `Connection: close`, so a keep-alive client cannot go on sending calls. Node writes
 * the head through `writeHead` even for implicit headers, so that is where it is decided.
 */
function closeWhenShuttingDown(res: ServerResponse, accepting: () => boolean) {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    if (!accepting() && !res.headersSent) res.setHeader('connection', 'close');
    return writeHead(...args);
  }) as ServerResponse['writeHead'];
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

const isFile = (path: string) => statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;

/** Where the admin app lives: its own prefix, so its client routes never shadow an API path. */
export const adminBasePath = '/admin';

/**
 * Static files of the admin app (GET and HEAD only) under `/admin/`: a file of `dir`, or
 * `index.html` for a path without an extension (a client route); `/` redirects there. Returns
 * false when it has nothing to serve, so the caller answers 404. Hashed assets are cached for
 * good; index.html never.
 */
export function serveStatic(dir: string, req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  let path: string;
  try {
    path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
  } catch {
    return false;
  }
  if (path === '/' || path === adminBasePath) {
    res.writeHead(302, { location: `${adminBasePath}/` });
    res.end();
    return true;
  }
  if (!path.startsWith(`${adminBasePath}/`)) return false;
  const relative = path.slice(adminBasePath.length);
  const root = resolve(dir);
  let file = resolve(join(root, relative));
  if (file !== root && !file.startsWith(root + sep)) return false;
  if (!isFile(file)) {
    if (extname(relative) !== '') return false;
    file = join(root, 'index.html');
    if (!isFile(file)) return false;
  }
  res.writeHead(200, {
    'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
    'cache-control': relative.startsWith('/assets/')
      ? 'public, max-age=31536000, immutable'
      : 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
  return true;
}

export function createHttpServer(deps: HttpServerDependencies): Server {
  const { authenticator, logger } = deps;
  const appRouter: AppRouter = createAppRouter({ maxIdsPerCall: deps.maxIdsPerCall });
  const inputSchema = completeInputSchema(deps.maxIdsPerCall);

  const trpcHandler = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    // One HTTP request, one procedure: batching would run completion calls side by side.
    allowBatching: false,
    maxBodySize: deps.bodyLimitBytes,
    createContext: ({ req }): Context => ({
      ...deps.context,
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
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (mediaType !== 'application/json' && !mediaType?.endsWith('+json')) {
      throw new HttpError(415, 'The request body must be JSON (Content-Type: application/json)');
    }
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
      if (error instanceof RetryableCallError) {
        sendJson(res, error.status, { error: error.message, retryable: true });
        return;
      }
      if (!isCompletionError(error)) throw error;
      sendJson(res, 400, {
        error: error.message,
        code: error.code,
        runId: error.runId,
        ...error.response,
      });
    }
  }

  return createServer((req, res) => {
    closeWhenShuttingDown(res, () => deps.context.completion.accepting);
    const path = (req.url ?? '/').split('?')[0];
    if (path?.startsWith('/trpc/')) {
      trpcHandler(req, res);
      return;
    }
    if (deps.staticDir && serveStatic(deps.staticDir, req, res)) return;
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
