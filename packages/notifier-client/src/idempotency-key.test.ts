import { describe, expect, it } from 'vitest';
import { idempotencyKeySchema } from './contract.js';
import { idempotencyKeyFor } from './idempotency-key.js';

describe('idempotency key', () => {
  it('is the same for the same order, every time', () => {
    expect(idempotencyKeyFor(42)).toBe('order-completed-42');
    expect(idempotencyKeyFor(42)).toBe(idempotencyKeyFor(42));
  });

  it('differs between orders and fits the contract', () => {
    expect(idempotencyKeyFor(1)).not.toBe(idempotencyKeyFor(11));
    expect(idempotencyKeySchema.safeParse(idempotencyKeyFor(2_147_483_647)).success).toBe(true);
  });
});
