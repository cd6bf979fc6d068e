import { describe, expect, it } from 'vitest';
import { idempotencyKeySchema, keyNamespaceSchema } from './contract.js';
import { idempotencyKeyFor } from './idempotency-key.js';

describe('idempotency key', () => {
  // That every retry, run and replica sends this same key is checked where it matters, on the
  // wire: http-order-notifier.test.ts, "idempotency keys".
  it('is the namespace, the event and the order id', () => {
    expect(idempotencyKeyFor('inst-1', 42)).toBe('inst-1:order-completed:42');
  });

  it('differs between orders and between namespaces, and fits the contract', () => {
    expect(idempotencyKeyFor('a', 1)).not.toBe(idempotencyKeyFor('a', 11));
    expect(idempotencyKeyFor('a', 1)).not.toBe(idempotencyKeyFor('b', 1));
    const longest = idempotencyKeyFor('n'.repeat(64), 2 ** 53 - 1);
    expect(idempotencyKeySchema.safeParse(longest).success).toBe(true);
  });

  it('accepts only 1..64 characters of [A-Za-z0-9._-] as a namespace', () => {
    for (const ok of ['a', 'prod-eu.1_x', 'n'.repeat(64)]) {
      expect(keyNamespaceSchema.safeParse(ok).success).toBe(true);
    }
    for (const bad of ['', 'n'.repeat(65), 'a:b', 'a b', 'ü']) {
      expect(keyNamespaceSchema.safeParse(bad).success).toBe(false);
    }
  });
});
