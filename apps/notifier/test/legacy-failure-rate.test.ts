/**
 * The original's notification service: legacy protocol, each call fails with probability 1/2.
 * How many of 1,000 orders stay unnotified after n attempts each? Each order fails all n
 * independently with p = 0.5^n, so the count is Binomial(1000, p).
 */
import { createOrderNotifier } from '@ocs/notifier-client';
import { describe, expect, it } from 'vitest';
import { ordersWithIds, range, useNotifier } from './support.js';

const notifier = useNotifier();
const ORDERS = 1000;

async function unnotifiedAfter(maxAttempts: number) {
  notifier().faults.set({ failureRate: 0.5 });
  const client = createOrderNotifier({
    baseUrl: notifier().url,
    protocol: 'legacy',
    keyNamespace: 'test-install',
    maxAttempts,
    initialDelayMs: 1,
    maxDelayMs: 4,
    concurrency: 32,
    // At a 50% failure rate a consecutive breaker at, say, 5 would open often: ~2,000
    // attempts contain many runs of 5 failures (each start has a 1/32 chance). The breaker
    // is for an unhealthy service, not for a coin flip, so the threshold sits far above any
    // run a fair coin produces here (a run of 100 has probability ~2,000 × 2^-100).
    breakerThreshold: 100,
  });
  const results = await client.notifyCompleted(ordersWithIds(range(1, ORDERS)));
  const failed = results.filter((result) => !result.ok);
  expect(
    failed.every((r) => !r.ok && r.reason.kind === 'http-status' && r.reason.status === 500),
  ).toBe(true);
  expect(failed.every((r) => !r.ok && r.reason.attempts === maxAttempts)).toBe(true);
  // Every notified order is stored exactly once (legacy has no key; one success per order).
  expect(notifier().store.list()).toHaveLength(ORDERS - failed.length);
  return failed.length;
}

describe('legacy protocol at a 50% failure rate, 1,000 orders', () => {
  it('with 5 attempts each, about 31 stay unnotified', async () => {
    // p = 0.5^5 = 1/32; expected 1000/32 = 31.25, sd = sqrt(1000 · p · (1 − p)) ≈ 5.50.
    // Bounds 11..60 (about −3.7 sd .. +5.2 sd): exact binomial tails P(X ≤ 10) ≈ 7.5e-6 and
    // P(X ≥ 61) ≈ 1.0e-6, so a failure means a bug (wrong attempt count), not bad luck.
    // The lower bound proves attempts are not multiplied (ky's retry is off).
    const unnotified = await unnotifiedAfter(5);
    console.info(`5 attempts: ${unnotified} of ${ORDERS} unnotified (expected 31.25)`);
    expect(unnotified).toBeGreaterThanOrEqual(11);
    expect(unnotified).toBeLessThanOrEqual(60);
    // Requests: each order takes attempts until the first success, capped at 5;
    // E = 2 · (1 − 0.5^5) ≈ 1.94 per order.
    const requests = notifier().store.stats().requests;
    expect(requests).toBeGreaterThan(1700);
    expect(requests).toBeLessThan(2200);
  });

  it('with 10 attempts each, a handful at most', async () => {
    // p = 0.5^10 = 1/1024; expected 1000/1024 ≈ 0.98. P(X ≥ 9) ≈ 9.0e-7.
    const unnotified = await unnotifiedAfter(10);
    console.info(`10 attempts: ${unnotified} of ${ORDERS} unnotified (expected 0.98)`);
    expect(unnotified).toBeLessThanOrEqual(8);
  });
});
