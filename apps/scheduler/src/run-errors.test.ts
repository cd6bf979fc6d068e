import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import {
  BatchRejectedError,
  batchFailure,
  callServer,
  endsTheRun,
  isRetryableServerError,
  LockExpiredError,
  LockHeldError,
  RunDeadlineReached,
  ServerUnavailableError,
  unreachableError,
} from './run-errors.js';

/** An error answer as the tRPC client throws it, with the `data` the server's formatter sent. */
function serverError(message: string, data: Record<string, unknown>) {
  return TRPCClientError.from({ error: { code: -32000, message, data } });
}

/** A call the client failed without any answer (no `data`): a refused or dropped connection. */
const noAnswer = () => new TRPCClientError('fetch failed', { cause: new Error('socket') });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

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

describe('the errors', () => {
  it('are named after their class, in logs and in the CLI', () => {
    expect(new ServerUnavailableError('x', 'unreachable').name).toBe('ServerUnavailableError');
    expect(new BatchRejectedError('x').name).toBe('BatchRejectedError');
    expect(new LockHeldError('other:1:a', 'then').name).toBe('LockHeldError');
    expect(new LockExpiredError(1).name).toBe('LockExpiredError');
    expect(new RunDeadlineReached('x').name).toBe('RunDeadlineReached');
  });

  it('say who holds the lock, and for how long the lock went unrenewed', () => {
    expect(new LockHeldError('other:1:a', '2026-12-07T00:00:00.000Z').message).toBe(
      'Another scheduler (other:1:a) is running; its lock lasts until 2026-12-07T00:00:00.000Z',
    );
    expect(new LockExpiredError(2000.4).message).toBe(
      'The single-runner lock could not be renewed for 2000 ms (its lease may have ended): the run stopped sending',
    );
  });
});

describe('callServer', () => {
  it('given an answer, returns it', async () => {
    await expect(callServer(async () => 42)).resolves.toBe(42);
  });

  it('given a refused or forbidden token, throws ServerUnavailableError (unauthorized)', async () => {
    for (const code of ['UNAUTHORIZED', 'FORBIDDEN']) {
      const error = await rejection(
        callServer(() => Promise.reject(serverError('Unknown token', { code }))),
      );
      expect(error).toBeInstanceOf(ServerUnavailableError);
      expect((error as ServerUnavailableError).reason).toBe('unauthorized');
      expect((error as Error).message).toBe(
        "The server refused the scheduler's token: Unknown token",
      );
    }
  });

  it('given any other failure, throws it as it is', async () => {
    const badRequest = serverError('bad input', { code: 'BAD_REQUEST' });
    expect(await rejection(callServer(() => Promise.reject(badRequest)))).toBe(badRequest);
    const lost = noAnswer();
    expect(await rejection(callServer(() => Promise.reject(lost)))).toBe(lost);
  });

  it("maps only the tRPC client's errors: another error carrying the same data is thrown as it is", async () => {
    const other = Object.assign(new Error('not from tRPC'), { data: { code: 'UNAUTHORIZED' } });
    expect(await rejection(callServer(() => Promise.reject(other)))).toBe(other);
    expect(await rejection(callServer(() => Promise.reject(undefined)))).toBeUndefined();
  });
});

describe('unreachableError', () => {
  it('given no answer at all, the server is unreachable; given an error answer, null', () => {
    const error = unreachableError(noAnswer());
    expect(error).toBeInstanceOf(ServerUnavailableError);
    expect(error?.reason).toBe('unreachable');
    expect(error?.message).toBe('Cannot reach the server: fetch failed');
    expect(unreachableError(serverError('boom', { code: 'INTERNAL_SERVER_ERROR' }))).toBeNull();
    expect(unreachableError(new Error('fetch failed'))).toBeNull();
  });
});

describe('isRetryableServerError', () => {
  it('given a 5xx the server marks retryable, is true', () => {
    expect(isRetryableServerError(serverError('db', { httpStatus: 500, retryable: true }))).toBe(
      true,
    );
    expect(isRetryableServerError(serverError('db', { httpStatus: 503, retryable: true }))).toBe(
      true,
    );
  });

  it('given a 5xx not marked retryable, or a 4xx marked retryable, is false', () => {
    expect(isRetryableServerError(serverError('db', { httpStatus: 500 }))).toBe(false);
    expect(isRetryableServerError(serverError('db', { httpStatus: 500, retryable: 'yes' }))).toBe(
      false,
    );
    expect(isRetryableServerError(serverError('bad', { httpStatus: 499, retryable: true }))).toBe(
      false,
    );
  });

  it('given no answer, or an error not from the tRPC client, is false', () => {
    expect(isRetryableServerError(noAnswer())).toBe(false);
    const lookalike = Object.assign(new Error('db'), {
      data: { httpStatus: 500, retryable: true },
    });
    expect(isRetryableServerError(lookalike)).toBe(false);
  });
});

describe('batchFailure of server answers', () => {
  it('given an unreachable server (not a refused token), the ids are lost, not the run', () => {
    expect(batchFailure(new ServerUnavailableError('Cannot reach', 'unreachable'))).toEqual({
      lost: 'request_failed',
    });
  });

  it('given a rejected batch (BAD_REQUEST without a response), ends the run', () => {
    expect(() => batchFailure(serverError('too many ids', { code: 'BAD_REQUEST' }))).toThrow(
      new BatchRejectedError('The server rejected a batch: too many ids'),
    );
  });
});
