import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { HttpError } from './http.js';
import { createDispatch, type Route } from './routes.js';

/** Routes that say which one answered, and with which path parameters. */
function dispatchOver(...routes: Omit<Route, 'handle'>[]) {
  const answered: string[] = [];
  const counted: string[] = [];
  const dispatch = createDispatch(
    routes.map((route) => ({
      ...route,
      handle: (_req, _res, { params }) => {
        answered.push(`${route.method} ${route.path} ${JSON.stringify(params)}`);
      },
    })),
    (name) => counted.push(name),
  );
  const send = (method: string, path: string) =>
    dispatch(
      { method } as IncomingMessage,
      {} as ServerResponse,
      new URL(path, 'http://localhost'),
    );
  return { send, answered, counted };
}

describe('createDispatch', () => {
  it('given a path with a parameter, when it is requested, then its route answers with the segment', async () => {
    const { send, answered, counted } = dispatchOver({ method: 'GET', path: '/notify/:orderId' });

    await send('GET', '/notify/42');

    expect(answered).toEqual(['GET /notify/:orderId ["42"]']);
    expect(counted).toEqual(['GET /notify/:orderId']);
  });

  it('given a path with a parameter, when another method asks, then 405, counted under the route', async () => {
    const { send, answered, counted } = dispatchOver({ method: 'GET', path: '/notify/:orderId' });

    const error = await send('POST', '/notify/42').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 405, message: 'POST not allowed on /notify/42' });
    expect(answered).toEqual([]);
    expect(counted).toEqual(['GET /notify/:orderId']);
  });

  it('given plain paths, when a method and path match exactly, then that route answers', async () => {
    const { send, answered } = dispatchOver(
      { method: 'GET', path: '/v1/notifications' },
      { method: 'DELETE', path: '/v1/notifications' },
    );

    await send('DELETE', '/v1/notifications?orderId=3');

    expect(answered).toEqual(['DELETE /v1/notifications []']);
  });

  it('given plain paths, when nothing matches, then 404, counted under what was asked', async () => {
    const { send, counted } = dispatchOver({ method: 'GET', path: '/health' });

    const error = await send('PUT', '/health').catch((e: unknown) => e);

    expect(error).toMatchObject({ status: 404, message: 'no route for PUT /health' });
    expect(counted).toEqual(['PUT /health']);
  });
});
