/**
 * The original's notification service: legacy protocol, each call fails with probability 1/2.
 * How many orders stay unnotified after n attempts each? The service's coin is a seeded
 * generator and the client sends one request at a time, so the k-th request gets the k-th
 * draw: the test replays the same draws to know the exact answer, and checks the statistics
 * (each order fails all n attempts with p = 0.5^n) only as a sanity bound.
 */
import { createOrderNotifier } from '@ocs/notifier-client';
import { describe, expect, it } from 'vitest';
import { ordersWithIds, range, seededRandom, useNotifier } from './support.js';

const SEED = 20261128;
let random = seededRandom(SEED);
const notifier = useNotifier(() => random());
const ORDERS = 1000;
/** Fails on every attempt whatever the coin says, so the failure checks never pass vacuously. */
const ALWAYS_FAILING = 5000;

/** Replays the service's draws: attempts per order until the first success, at most n. */
function expected(maxAttempts: number, seed: number) {
  const draw = seededRandom(seed);
  let unnotified = 0;
  let requests = 0;
  for (let order = 0; order < ORDERS; order++) {
    let delivered = false;
    for (let attempt = 1; attempt <= maxAttempts && !delivered; attempt++) {
      requests += 1;
      delivered = !(draw() < 0.5);
    }
    if (!delivered) unnotified += 1;
  }
  return { unnotified, requests };
}

async function runWith(maxAttempts: number) {
  random = seededRandom(SEED);
  notifier().faults.set({ failureRate: 0.5, failingOrderIds: [ALWAYS_FAILING] });
  const client = createOrderNotifier({
    baseUrl: notifier().url,
    protocol: 'legacy',
    keyNamespace: 'test-install',
    maxAttempts,
    initialDelayMs: 1,
    maxDelayMs: 2,
    // One request at a time, so the k-th request meets the k-th draw.
    concurrency: 1,
    // The breaker is for an unhealthy service, not for a coin flip: a run of 100 failures
    // has probability ~2,000 × 2^-100.
    breakerThreshold: 100,
  });
  const results = await client.notifyCompleted(
    ordersWithIds([...range(1, ORDERS), ALWAYS_FAILING]),
  );
  await client.close();
  const sentinel = results.at(-1);
  expect(sentinel).toEqual({
    orderId: ALWAYS_FAILING,
    ok: false,
    maybeDelivered: false,
    reason: expect.objectContaining({ kind: 'http-status', status: 500, attempts: maxAttempts }),
  });
  expect(notifier().store.requests(ALWAYS_FAILING)).toHaveLength(maxAttempts);
  const failed = results.slice(0, -1).filter((result) => !result.ok);
  for (const result of failed) {
    expect(result).toMatchObject({
      ok: false,
      reason: { kind: 'http-status', status: 500, attempts: maxAttempts },
    });
  }
  // Every notified order is stored exactly once (legacy has no key; one success per order).
  expect(notifier().store.list()).toHaveLength(ORDERS - failed.length);
  return {
    unnotified: failed.length,
    requests: notifier().store.stats().requests - maxAttempts,
  };
}

describe('legacy protocol at a 50% failure rate, 1,000 orders', () => {
  it('with 5 attempts each, about 31 stay unnotified', { timeout: 60_000 }, async () => {
    const outcome = await runWith(5);

    expect(outcome).toEqual(expected(5, SEED));
    console.info(`5 attempts: ${outcome.unnotified} of ${ORDERS} unnotified (expected 31.25)`);
    // Binomial(1000, 1/32): mean 31.25, sd 5.5; 11..60 is beyond ±3.7 sd.
    expect(outcome.unnotified).toBeGreaterThanOrEqual(11);
    expect(outcome.unnotified).toBeLessThanOrEqual(60);
  });

  it('with 10 attempts each, a handful at most', { timeout: 60_000 }, async () => {
    const outcome = await runWith(10);

    expect(outcome).toEqual(expected(10, SEED));
    console.info(`10 attempts: ${outcome.unnotified} of ${ORDERS} unnotified (expected 0.98)`);
    expect(outcome.unnotified).toBeLessThanOrEqual(8);
  });
});
