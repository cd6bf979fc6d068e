import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('notifier configuration', () => {
  it('defaults to port 5002 on 127.0.0.1 with no faults', () => {
    expect(loadConfig({})).toMatchObject({
      port: 5002,
      host: '127.0.0.1',
      faults: { failureRate: 0, failingOrderIds: [], down: false },
    });
  });

  it('reads faults from the environment', () => {
    expect(
      loadConfig({
        FAULT_FAILURE_RATE: '0.5',
        FAULT_FAILING_ORDER_IDS: '1, 2,3',
        FAULT_DOWN: 'refuse',
      }).faults,
    ).toMatchObject({ failureRate: 0.5, failingOrderIds: [1, 2, 3], down: 'refuse' });
  });

  it('stops with one message naming the bad keys', () => {
    expect(() => loadConfig({ PORT: 'x', FAULT_FAILURE_RATE: '2' })).toThrow(
      /^Invalid notifier configuration: PORT \(port\): .*FAULT_FAILURE_RATE \(faults.failureRate\): /,
    );
  });
});
