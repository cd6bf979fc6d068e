/**
 * One vocabulary: for every call outcome of @ocs/domain's table, the server's metrics and the
 * stored call count it under its key. (The scheduler's summary and stored run:
 * apps/scheduler/test/outcomes.test.ts.)
 */
import { openDatabase } from '@ocs/db/client';
import { createEmbeddedTestDatabase } from '@ocs/db/testing';
import { callOutcomes, countsOf } from '@ocs/domain';
import { responseWith } from '@ocs/domain/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerMetrics } from '../src/metrics.js';

const testDb = await createEmbeddedTestDatabase();
const db = openDatabase({ url: testDb.url });
beforeAll(() => db.migrate());
afterAll(async () => {
  await db.close();
  await testDb.drop();
});

describe('every call outcome is counted under its key', () => {
  it.each(callOutcomes)('%s', async (outcome) => {
    const response = responseWith(outcome);
    // The metrics.
    const metrics = new ServerMetrics();
    const completion = metrics.meterCompletion({
      complete: async () => ({ callId: `call-${outcome}`, response }),
    });
    await completion.complete([1]);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(new RegExp(`ocs_completion_orders_total\\{outcome="${outcome}"\\} 1\\n`));
    const others = [...text.matchAll(/ocs_completion_orders_total\{outcome="(\w+)"\} (\d+)/g)]
      .filter(([, key]) => key !== outcome)
      .map(([, , n]) => Number(n));
    expect(others.every((n) => n === 0)).toBe(true);

    // The stored call, its counts and its failure row, and the response read back.
    const id = `call-${outcome}`;
    await db.calls.start({ id, startedAt: new Date(), requestedCount: 1 });
    await db.calls.complete(id, { finishedAt: new Date(), outcome: 'COMPLETED', response });
    const stored = await db.calls.findById(id);
    expect(stored?.counts).toEqual(countsOf(response));
    expect(stored?.counts[outcome]).toBe(1);
    if (outcome !== 'completed') expect(stored?.response).toEqual(response);
  });
});
