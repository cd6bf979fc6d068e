/** Starts the real notifier in-process on a random port, and builds orders for the client. */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createNotifierServer, type NotifierServer } from '../src/app.js';

export function useNotifier(): () => NotifierServer {
  const server = createNotifierServer({ logger: pino({ level: 'silent' }) });
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
