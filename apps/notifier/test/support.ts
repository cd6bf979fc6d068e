/** Starts the real notifier in-process on a random port, and builds orders for the client. */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createNotifierServer, type NotifierServer } from '../src/app.js';

export function useNotifier(random?: () => number): () => NotifierServer {
  const server = createNotifierServer({
    logger: pino({ level: 'silent' }),
    ...(random ? { random } : {}),
  });
  beforeAll(async () => {
    await server.listen(0, '127.0.0.1');
  });
  afterEach(() => {
    server.faults.set({});
    server.store.clear();
  });
  afterAll(() => server.close());
  return () => server;
}

/** A seeded pseudo-random source (mulberry32): the same sequence on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function ordersWithIds(ids: readonly number[]) {
  return ids.map((id) => ({
    id,
    orderDate: new Date('2024-01-01T00:00:00Z'),
    state: 'SUBMITTED' as const,
    lines: [{ id, productId: 1, orderedQuantity: 1, deliveredQuantity: 1 }],
  }));
}

export function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}
