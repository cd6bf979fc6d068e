import { BrokenCircuitError } from 'cockatiel';
import { describe, expect, it } from 'vitest';
import {
  AttemptTimeoutError,
  CancelledError,
  ContractError,
  ForeignDuplicateError,
  HttpStatusError,
  NetworkError,
} from './attempt-errors.js';
import { entryFailure, failedResult, toFailure } from './failure-mapping.js';

const live = () => new AbortController().signal;

describe('mapping an attempt failure onto the domain outcome', () => {
  it.each([
    ['a timeout', new AttemptTimeoutError(500), { kind: 'timeout' }],
    ['a status', new HttpStatusError(503, 'down'), { kind: 'http-status', status: 503 }],
    ['a network error', new NetworkError('reset', true), { kind: 'network' }],
    ['a broken contract', new ContractError('not JSON'), { kind: 'rejected' }],
    ['a foreign duplicate', new ForeignDuplicateError('k-1', 'k-2'), { kind: 'rejected' }],
  ])('given %s, then its kind, message and attempts', (_, error, expected) => {
    expect(toFailure(error, 3, live())).toEqual({
      ...expected,
      message: error.message,
      attempts: 3,
    });
  });

  it('given an open circuit, then circuit-open with the reason it was not sent', () => {
    expect(toFailure(new BrokenCircuitError(), 0, live())).toEqual({
      kind: 'circuit-open',
      message:
        'the circuit is open after consecutive failures: not sent, to let the service recover',
      attempts: 0,
    });
  });

  it('given anything after the call was aborted, then cancelled', () => {
    const controller = new AbortController();
    controller.abort();

    expect(toFailure(new HttpStatusError(500, ''), 1, controller.signal)).toEqual({
      kind: 'cancelled',
      message: new CancelledError().message,
      attempts: 1,
    });
  });

  it('given an error of no known kind, then rejected as unexpected', () => {
    expect(toFailure('boom', 2, live())).toEqual({
      kind: 'rejected',
      message: 'unexpected error: boom',
      attempts: 2,
    });
  });

  it('given a batch entry the service refused, then rejected with its status when it has one', () => {
    expect(entryFailure({ status: 422, message: 'bad order' }, 1)).toEqual({
      kind: 'rejected',
      message: 'the notification service rejected this order: bad order',
      status: 422,
      attempts: 1,
    });
    expect(entryFailure({ message: 'missing' }, 2)).not.toHaveProperty('status');
  });

  it('given a failure, then the order result carries it and whether it may have arrived', () => {
    const reason = { kind: 'network', message: 'reset', attempts: 1 } as const;

    expect(failedResult(7, reason, true)).toEqual({
      orderId: 7,
      ok: false,
      reason,
      maybeDelivered: true,
    });
  });
});
