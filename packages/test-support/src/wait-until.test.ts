import { describe, expect, it } from 'vitest';
import { waitUntil } from './wait-until.js';

describe('waitUntil', () => {
  it('resolves with the first value that is not undefined, null or false', async () => {
    let calls = 0;
    const value = await waitUntil(
      () => {
        calls++;
        if (calls === 1) return undefined;
        if (calls === 2) return null;
        if (calls === 3) return false;
        return calls === 4 ? 0 : 99;
      },
      { intervalMs: 1 },
    );
    expect(value).toBe(0);
    expect(calls).toBe(4);
  });

  it('awaits an async check', async () => {
    let calls = 0;
    expect(await waitUntil(async () => ++calls >= 3 && 'ready', { intervalMs: 1 })).toBe('ready');
  });

  it('rejects after the timeout, naming what it waited for', async () => {
    await expect(
      waitUntil(() => false, { timeoutMs: 20, intervalMs: 5, what: 'the answer' }),
    ).rejects.toThrow('the answer not reached within 20 ms');
  });

  it('rejects with the error the check throws', async () => {
    await expect(
      waitUntil(() => {
        throw new Error('broken check');
      }),
    ).rejects.toThrow('broken check');
  });
});
