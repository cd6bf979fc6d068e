/**
 * The admin app's built files, when the configured directory exists: files as they are, and
 * `index.html` for any other GET that asks for HTML (client-side routes).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono } from 'hono';

/** Mounts the directory and says whether it did. */
export function mountStaticFiles(app: Hono, dir: string | undefined): boolean {
  if (!dir || !existsSync(join(dir, 'index.html'))) return false;
  app.on(['GET', 'HEAD'], '*', serveStatic({ root: dir }));
  app.get('*', (c, next) => {
    const wantsHtml = c.req.header('accept')?.includes('text/html') ?? false;
    if (!wantsHtml) return next();
    // Read per request: a rebuilt admin app is served without a restart.
    return c.html(readFileSync(join(dir, 'index.html'), 'utf8'));
  });
  return true;
}
