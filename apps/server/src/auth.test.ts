import { describe, expect, it } from 'vitest';
import { TokenAuthenticator } from './auth.js';

const auth = new TokenAuthenticator([
  { token: 'scheduler-token-0123456789', role: 'scheduler' },
  { token: 'admin-token-0123456789abc', role: 'admin' },
]);

describe('TokenAuthenticator', () => {
  it('maps a known bearer token to its role', () => {
    expect(auth.authenticate('Bearer scheduler-token-0123456789')).toEqual({ role: 'scheduler' });
    expect(auth.authenticate('bearer admin-token-0123456789abc')).toEqual({ role: 'admin' });
  });

  it('rejects missing, malformed, wrong and prefix tokens', () => {
    expect(auth.authenticate(undefined)).toBeNull();
    expect(auth.authenticate('scheduler-token-0123456789')).toBeNull();
    expect(auth.authenticate('Basic scheduler-token-0123456789')).toBeNull();
    expect(auth.authenticate('Bearer scheduler-token-012345678')).toBeNull();
    expect(auth.authenticate('Bearer scheduler-token-01234567890')).toBeNull();
  });
});
