import { describe, expect, it } from 'vitest';
import { InvalidNotifierOptionsError, parseNotifierClientOptions } from './options.js';

describe('notifier client options', () => {
  it('given only a base URL, fills in every default', () => {
    expect(
      parseNotifierClientOptions({ baseUrl: 'http://127.0.0.1:5002', keyNamespace: 'inst-1' }),
    ).toEqual({
      baseUrl: 'http://127.0.0.1:5002',
      protocol: 'v1',
      keyNamespace: 'inst-1',
      legacyTimeoutMs: 30_000,
      retryUnconfirmed: false,
      maxAttempts: 4,
      initialDelayMs: 200,
      maxDelayMs: 5000,
      attemptTimeoutMs: 5000,
      breakerThreshold: 10,
      halfOpenAfterMs: 10_000,
      concurrency: 8,
      batchSize: 50,
      maxRetryAfterMs: 30_000,
    });
  });

  it('names the bad key in one error', () => {
    expect(() =>
      parseNotifierClientOptions({
        baseUrl: 'http://localhost',
        keyNamespace: 'k',
        maxAttempts: 0,
      }),
    ).toThrow(/^Invalid notifier option "maxAttempts": /);
  });

  it('rejects credentials in the base URL without echoing them', () => {
    let message = '';
    try {
      parseNotifierClientOptions({
        baseUrl: 'http://user:s3cret@127.0.0.1:5002',
        keyNamespace: 'k',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/"baseUrl": must not contain credentials/);
    expect(message).not.toContain('s3cret');
  });

  it('names every bad key when several are wrong', () => {
    try {
      parseNotifierClientOptions({
        baseUrl: 'not a url',
        keyNamespace: 'k',
        concurrency: -1,
        protocol: 'soap',
      });
      expect.unreachable('invalid options must throw');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidNotifierOptionsError);
      const { keys, message } = error as InvalidNotifierOptionsError;
      expect(keys.sort()).toEqual(['baseUrl', 'concurrency', 'protocol']);
      expect(message).toMatch(/^Invalid notifier options /);
    }
  });

  it('rejects unknown keys, so a typo does not silently fall back to a default', () => {
    expect(() =>
      parseNotifierClientOptions({ baseUrl: 'http://localhost', keyNamespace: 'k', maxAttempt: 3 }),
    ).toThrow(/maxAttempt/);
  });

  it('rejects a max delay below the initial delay', () => {
    expect(() =>
      parseNotifierClientOptions({
        baseUrl: 'http://localhost',
        keyNamespace: 'k',
        initialDelayMs: 10,
        maxDelayMs: 5,
      }),
    ).toThrow(/^Invalid notifier option "maxDelayMs": must be at least initialDelayMs/);
  });

  it('does not put the auth header into the error message', () => {
    expect(() =>
      parseNotifierClientOptions({
        baseUrl: 'ftp://x',
        keyNamespace: 'k',
        authHeader: 'Bearer s3cret',
      }),
    ).toThrow(expect.objectContaining({ message: expect.not.stringContaining('s3cret') }));
  });

  it('requires a key namespace of 1..64 characters of [A-Za-z0-9._-]', () => {
    expect(() => parseNotifierClientOptions({ baseUrl: 'http://localhost' })).toThrow(
      /"keyNamespace"/,
    );
    expect(() =>
      parseNotifierClientOptions({ baseUrl: 'http://localhost', keyNamespace: 'a:b' }),
    ).toThrow(/"keyNamespace": expected 1\.\.64 characters/);
  });
});
