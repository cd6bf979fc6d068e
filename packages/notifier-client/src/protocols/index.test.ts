import { describe, expect, it } from 'vitest';
import { protocolNames, protocolSchema, protocols } from './index.js';

describe('the protocol registry', () => {
  it('given the registry, then its names are the ones the schema accepts', () => {
    expect(protocolNames).toEqual(['v1', 'legacy']);
    expect(Object.keys(protocols)).toEqual([...protocolNames]);
    for (const name of protocolNames) expect(protocolSchema.parse(name)).toBe(name);
    expect(protocolSchema.safeParse('v2').success).toBe(false);
  });

  it('given each protocol, then it says whether resends are de-duplicated and how many orders a request carries', () => {
    expect(protocols.v1).toMatchObject({ idempotent: true, defaultConcurrency: 8 });
    expect(protocols.legacy).toMatchObject({ idempotent: false, defaultConcurrency: 64 });
    expect(protocols.v1.maxBatchSize).toBe(500);
    expect(protocols.legacy.maxBatchSize).toBe(1);
  });

  it('given both timeouts set, then each protocol reads its own as the attempt deadline', () => {
    const options = { attemptTimeoutMs: 5000, legacyTimeoutMs: 30_000 };
    expect(protocols.v1.attemptTimeoutMs(options)).toBe(5000);
    expect(protocols.legacy.attemptTimeoutMs(options)).toBe(30_000);
  });
});
