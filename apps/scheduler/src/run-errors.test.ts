import { describe, expect, it } from 'vitest';
import {
  batchFailure,
  endsTheRun,
  LockExpiredError,
  LockHeldError,
  RunDeadlineReached,
  ServerUnavailableError,
} from './run-errors.js';

describe('batchFailure', () => {
  it('given a refused connection somewhere in the cause chain, the ids are unreachable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const error = new Error('fetch failed', { cause: new Error('socket', { cause: refused }) });

    expect(batchFailure(error)).toEqual({ lost: 'unreachable' });
  });

  it('given any other failure without an answer, the request failed and the ids are retried', () => {
    expect(batchFailure(new Error('socket hang up'))).toEqual({ lost: 'request_failed' });
  });

  it('given a refused token, ends the run: a wrong token will not fix itself', () => {
    const refused = new ServerUnavailableError('refused', 'unauthorized');

    expect(() => batchFailure(refused)).toThrow(refused);
  });
});

describe('endsTheRun', () => {
  it('the deadline and an expired lock end the run with a summary; a held lock does not', () => {
    expect(endsTheRun(new RunDeadlineReached('passed'))).toBe(true);
    expect(endsTheRun(new LockExpiredError(2000))).toBe(true);
    expect(endsTheRun(new LockHeldError('other:1:a', '2026-12-07T00:00:00.000Z'))).toBe(false);
    expect(endsTheRun(new Error('other'))).toBe(false);
  });
});
