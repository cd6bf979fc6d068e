import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const token = 'scheduler-token-0123456789';

describe('scheduler loadConfig', () => {
  it('defaults to a daily 02:00 run against the local server', () => {
    const config = loadConfig({ SCHEDULER_TOKEN: token });
    expect(config.cron).toBe('0 2 * * *');
    expect(config.serverUrl).toBe('http://127.0.0.1:5000');
    expect(config.runOnStart).toBe(false);
    expect(config.retryAttempts).toBe(3);
  });

  it('names the key of a bad cron expression', () => {
    expect(() => loadConfig({ SCHEDULER_TOKEN: token, CRON: 'every day' })).toThrow(
      /CRON \(cron\): not a valid cron expression/,
    );
  });

  it('requires the token and does not echo it', () => {
    expect(() => loadConfig({})).toThrow(/SCHEDULER_TOKEN/);
    try {
      loadConfig({ SCHEDULER_TOKEN: 'tiny-secret' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).not.toContain('tiny-secret');
    }
  });

  it('rejects a non-numeric batch size naming the key', () => {
    expect(() => loadConfig({ SCHEDULER_TOKEN: token, BATCH_SIZE: 'lots' })).toThrow(/BATCH_SIZE/);
  });
});
