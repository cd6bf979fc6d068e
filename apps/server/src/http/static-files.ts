/**
 * The admin app's built files under `/admin/`, when the configured directory exists: files as
 * they are (hashed assets cached for good), and `index.html` for any other GET under the
 * prefix (client-side routes). Its own prefix, so a client route never shadows an API path
 * such as `/orders`; `/` redirects there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono } from 'hono';

export const adminBasePath = '/admin';

/** Mounts the directory and says whether it did. */
export function mountStaticFiles(app: Hono, dir: string | undefined): boolean {
  if (!dir || !existsSync(join(dir, 'index.html'))) return false;
  app.get('/', (c) => c.redirect(`${adminBasePath}/`, 302));
  app.get(adminBasePath, (c) => c.redirect(`${adminBasePath}/`, 302));
  app.on(
    ['GET', 'HEAD'],
    `${adminBasePath}/*`,
    serveStatic({
      root: dir,
      rewriteRequestPath: (path) => path.slice(adminBasePath.length) || '/',
      onFound: (path, c) => {
        c.header(
          'cache-control',
          path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    }),
  );
  app.get(`${adminBasePath}/*`, (c) => {
    // A missing asset is a 404, not the app: only page routes get index.html.
    if (c.req.path.startsWith(`${adminBasePath}/assets/`))
      return c.json({ error: 'Not found' }, 404);
    c.header('cache-control', 'no-cache');
    // Read per request: a rebuilt admin app is served without a restart.
    return c.html(readFileSync(join(dir, 'index.html'), 'utf8'));
  });
  return true;
}
