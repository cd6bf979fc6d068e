/**
 * Routes as data: each module (a protocol, the control routes) lists its routes, and the app
 * dispatches on them. A path with a `:param` segment matches any method (another method is a
 * 405); a plain path matches `METHOD /path` exactly (anything else is a 404). Every request is
 * counted under its route's name for `/stats`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http.js';

export interface RouteRequest {
  url: URL;
  /** The `:param` segments of the path, in order. */
  params: string[];
}

export interface Route {
  method: string;
  /** e.g. `/v1/notifications`, or `/notify/:orderId`. */
  path: string;
  handle(req: IncomingMessage, res: ServerResponse, request: RouteRequest): Promise<void> | void;
}

export type Dispatch = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

export function createDispatch(routes: Route[], count: (name: string) => void): Dispatch {
  const patterned = routes
    .filter((route) => route.path.includes('/:'))
    .map((route) => ({
      route,
      pattern: new RegExp(`^${route.path.replace(/\/:[^/]+/g, '/([^/]+)')}$`),
    }));
  const exact = new Map(
    routes
      .filter((route) => !route.path.includes('/:'))
      .map((route) => [`${route.method} ${route.path}`, route]),
  );
  return async (req, res, url) => {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    for (const { route, pattern } of patterned) {
      const match = pattern.exec(path);
      if (!match) continue;
      count(`${route.method} ${route.path}`);
      if (method !== route.method) throw new HttpError(405, `${method} not allowed on ${path}`);
      return route.handle(req, res, { url, params: match.slice(1) as string[] });
    }
    const key = `${method} ${path}`;
    count(key);
    const route = exact.get(key);
    if (!route) throw new HttpError(404, `no route for ${key}`);
    return route.handle(req, res, { url, params: [] });
  };
}
