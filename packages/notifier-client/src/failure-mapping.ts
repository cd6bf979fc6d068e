/**
 * Failure mapping: what an attempt failed with (a status, a network error, an open circuit)
 * becomes the domain's `NotificationFailure`, the one vocabulary the use case records.
 */
import type { NotificationFailure, NotificationResult } from '@ocs/domain';
import { isBrokenCircuitError } from 'cockatiel';
import {
  AttemptTimeoutError,
  CancelledError,
  ContractError,
  type EntryFailure,
  ForeignDuplicateError,
  HttpStatusError,
  NetworkError,
} from './attempt-errors.js';

export function failedResult(
  orderId: number,
  reason: NotificationFailure,
  maybeDelivered: boolean,
): NotificationResult {
  return { orderId, ok: false, reason, maybeDelivered };
}

/** A batch entry the service answered with a status that is not worth sending again. */
export function entryFailure(entry: EntryFailure, attempts: number): NotificationFailure {
  return {
    kind: 'rejected',
    message: `the notification service rejected this order: ${entry.message}`,
    ...(entry.status === undefined ? {} : { status: entry.status }),
    attempts,
  };
}

export function toFailure(
  error: unknown,
  attempts: number,
  signal: AbortSignal,
): NotificationFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof CancelledError || signal.aborted) {
    return { kind: 'cancelled', message: new CancelledError().message, attempts };
  }
  if (isBrokenCircuitError(error)) {
    return {
      kind: 'circuit-open',
      message:
        'the circuit is open after consecutive failures: not sent, to let the service recover',
      attempts,
    };
  }
  if (error instanceof AttemptTimeoutError) return { kind: 'timeout', message, attempts };
  if (error instanceof HttpStatusError) {
    return { kind: 'http-status', message, status: error.status, attempts };
  }
  if (error instanceof NetworkError) return { kind: 'network', message, attempts };
  if (error instanceof ContractError || error instanceof ForeignDuplicateError) {
    return { kind: 'rejected', message, attempts };
  }
  return { kind: 'rejected', message: `unexpected error: ${message}`, attempts };
}
