/**
 * The HTTP adapter, on Hono: tRPC under /trpc (batching bounded), the original service's
 * `POST /orders` (DESIGN.md §6), operations endpoints, OpenAPI + docs, and the admin app's
 * static files. Body limits answer 413 from the declared length, before reading the body.
 */
import type { Server, ServerResponse } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { trpcServer } from '@hono/trpc-server';
import { appRouter, type Context } from '@ocs/api';
import type { DatabaseNodeHealth } from '@ocs/db/client';
import type { Logger } from '@ocs/domain';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import type { TokenAuthenticator } from './auth.js';
import { mountDocs } from './http/docs.js';
import { openApiDocument } from './http/openapi.js';
import { postOrdersHandler } from './http/orders-route.js';
import { mountStaticFiles } from './http/static-files.js';
import type { ServerMetrics } from './metrics.js';

export interface HttpServerDependencies {
  authenticator: TokenAuthenticator;
  context: Omit<Context, 'principal' | 'limits'>;
  logger: Logger;
  maxIdsPerCall: number;
  bodyLimitBytes: number;
  /** Most procedures in one batched tRPC request. */
  maxBatchSize?: number;
  /** Origins allowed to call from a browser; none (the default) sends no CORS headers. */
  corsOrigins?: readonly string[];
  /** The admin app's built files; served when the directory has an index.html. */
  staticDir?: string | undefined;
  metrics?: ServerMetrics;
  /** True once shutdown has begun: /readyz answers 503 from then on. */
  isShuttingDown?: () => boolean;
  /** Each database node with whether it answers (a cluster's hosts), for /readyz. */
  databaseNodes?: () => Promise<DatabaseNodeHealth[]>;
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

export function createHttpServer(deps: HttpServerDependencies): Server {
  const { authenticator, logger } = deps;
  const app = new Hono();
  const limits = { maxIdsPerCall: deps.maxIdsPerCall };

  app.onError((error, c) => {
    logger.error({ err: error, path: c.req.path }, `${c.req.method} ${c.req.path} failed`);
    return c.json({ error: 'Internal server error' }, 500);
  });
  app.notFound((c) => c.json({ error: `No route for ${c.req.method} ${c.req.path}` }, 404));

  if (deps.corsOrigins && deps.corsOrigins.length > 0) {
    app.use(
      '*',
      cors({
        origin: [...deps.corsOrigins],
        allowMethods: ['GET', 'POST', 'OPTIONS'],
        allowHeaders: ['authorization', 'content-type', 'trpc-accept', 'x-trpc-source'],
        maxAge: 600,
      }),
    );
  }

  const limitBody = bodyLimit({
    maxSize: deps.bodyLimitBytes,
    onError: (c) => {
      // Close the connection: the rest of the body is never read.
      c.header('connection', 'close');
      return c.json({ error: `The request body exceeds ${deps.bodyLimitBytes} bytes` }, 413);
    },
  });

  app.get('/healthz', (c) => c.json({ status: 'up' }));
  app.get('/readyz', async (c) => {
    if (deps.isShuttingDown?.()) return c.json({ status: 'shutting down' }, 503);
    // Ready when a statement can run (on any node); each node of a cluster is reported.
    const [ping, nodes] = await Promise.all([
      deps.context.pingDatabase().then(
        () => true,
        () => false,
      ),
      deps.databaseNodes?.().catch(() => []) ?? Promise.resolve([]),
    ]);
    const perNode = nodes.length > 1 ? { nodes } : {};
    if (!ping) return c.json({ status: 'database unreachable', ...perNode }, 503);
    return c.json({ status: 'ready', ...perNode });
  });
  const metrics = deps.metrics;
  if (metrics) {
    app.get('/metrics', async (c) =>
      c.body(await metrics.registry.metrics(), 200, {
        'content-type': metrics.registry.contentType,
      }),
    );
  }
  const document = openApiDocument({ maxIdsPerCall: deps.maxIdsPerCall });
  app.get('/openapi.json', (c) => c.json(document));
  mountDocs(app);

  app.use('/orders', limitBody);
  app.post(
    '/orders',
    postOrdersHandler({ authenticator, completion: deps.context.completion, ...limits }),
  );
  app.all('/orders', (c) => c.json({ error: 'Use POST /orders' }, 405));

  app.use('/trpc/*', limitBody);
  app.use(
    '/trpc/*',
    trpcServer({
      router: appRouter,
      endpoint: '/trpc',
      allowBatching: true,
      maxBatchSize: deps.maxBatchSize ?? 10,
      createContext: (opts, c) => ({
        ...deps.context,
        limits,
        principal: authenticator.authenticate(
          c.req.header('authorization') ??
            // Only a subscription may authenticate by connectionParams (it travels in the
            // URL); every other procedure needs the header.
            (opts.info.type === 'subscription' ? bearerOf(opts.info.connectionParams) : undefined),
        ),
      }),
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') {
          logger.error({ err: error.cause ?? error, path }, 'procedure failed');
        }
      },
    }),
  );

  if (mountStaticFiles(app, deps.staticDir)) {
    logger.info({ dir: deps.staticDir }, 'serving the admin app');
  }

  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  // Before Hono's handler, so that the patch is in place when the head is written.
  server.prependListener('request', (_req, res: ServerResponse) =>
    closeWhenShuttingDown(res, () => !deps.isShuttingDown?.()),
  );
  return server;
}

/**
 * Subscriptions over SSE (EventSource) cannot send headers: the admin app passes its token as
 * tRPC's `connectionParams` instead (`{ token }`). The query string is never logged.
 */
function bearerOf(
  params: Record<string, string | undefined> | null | undefined,
): string | undefined {
  const token = params?.token;
  return typeof token === 'string' && token.length > 0 ? `Bearer ${token}` : undefined;
}
