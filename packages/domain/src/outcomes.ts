/**
 * The one vocabulary of completion outcomes. Every place that counts or names what happened to
 * an order (the stored calls and runs, the metrics' labels, the scheduler's summary, the admin
 * app) derives it from this table; only the response keeps the original API's field names.
 *
 * `call` outcomes are what one completion call can answer; `run` outcomes are seen only by the
 * scheduler (a request that failed, a server it could not reach, ids its deadline left unsent).
 * `retryable`: a later call may still complete the order.
 */
import { z } from 'zod';
import type { CompleteOrderResponse } from './complete-order-response.js';
import type { OrderId } from './order.js';

type ResponseField = keyof CompleteOrderResponse;

interface OutcomeDefinition {
  /** The response list the outcome is read from; null when no list holds it alone. */
  responseField: ResponseField | null;
  label: string;
  retryable: boolean;
  scope: 'call' | 'run';
}

export const outcomeTable = {
  completed: {
    responseField: 'completedOrderIds',
    label: 'Completed',
    retryable: false,
    scope: 'call',
  },
  finished_elsewhere: {
    // Answered in unsuccessfullyUpdatedOrders (UPDATE.NOT_SUBMITTED) or unsuccessfulOrders
    // (ORDER.ALREADY_FINISHED alone): done, but not by this call.
    responseField: null,
    label: 'Finished by another call',
    retryable: false,
    scope: 'call',
  },
  not_found: {
    responseField: 'notFoundOrderIds',
    label: 'Not found',
    retryable: false,
    scope: 'call',
  },
  failed_requirements: {
    responseField: 'unsuccessfulOrders',
    label: 'Requirements not met',
    retryable: false,
    scope: 'call',
  },
  not_notified: {
    responseField: 'unsuccessfullyNotifiedOrders',
    label: 'Not notified',
    retryable: true,
    scope: 'call',
  },
  not_updated: {
    responseField: 'unsuccessfullyUpdatedOrders',
    label: 'Not updated',
    retryable: true,
    scope: 'call',
  },
  claimed_elsewhere: {
    responseField: 'claimedElsewhereOrders',
    label: 'Claimed by another call',
    retryable: true,
    scope: 'call',
  },
  request_failed: {
    responseField: null,
    label: 'Request failed',
    retryable: true,
    scope: 'run',
  },
  unreachable: {
    responseField: null,
    label: 'Server unreachable',
    retryable: true,
    scope: 'run',
  },
  not_tried: {
    responseField: null,
    label: 'Not tried',
    retryable: true,
    scope: 'run',
  },
} as const satisfies Record<string, OutcomeDefinition>;

export type Outcome = keyof typeof outcomeTable;
export const outcomes = Object.keys(outcomeTable) as Outcome[];
export const outcomeSchema = z.enum(outcomes as [Outcome, ...Outcome[]]);

export type CallOutcome = {
  [K in Outcome]: (typeof outcomeTable)[K]['scope'] extends 'call' ? K : never;
}[Outcome];
export const callOutcomes = outcomes.filter(
  (o): o is CallOutcome => outcomeTable[o].scope === 'call',
);
export const retryableOutcomes = outcomes.filter((o) => outcomeTable[o].retryable);

export type OutcomeCounts = Record<Outcome, number>;
export type CallOutcomeCounts = Record<CallOutcome, number>;

export const outcomeCountsSchema = z.object(
  Object.fromEntries(outcomes.map((o) => [o, z.number().int().nonnegative().default(0)])) as {
    [K in Outcome]: z.ZodDefault<z.ZodNumber>;
  },
);

export function zeroCounts(): OutcomeCounts {
  return Object.fromEntries(outcomes.map((o) => [o, 0])) as OutcomeCounts;
}

export function outcomeLabel(outcome: string): string {
  return outcome in outcomeTable ? outcomeTable[outcome as Outcome].label : outcome;
}

export function isRetryable(outcome: string): boolean {
  return outcome in outcomeTable && outcomeTable[outcome as Outcome].retryable;
}

/** One requested id's outcome in a response, with the reason the response gives. */
export interface ClassifiedOrder {
  orderId: OrderId;
  outcome: CallOutcome;
  /** The response entry's reason(s); null for completed and not-found ids. */
  reason: unknown;
  /** What groups failures: a requirement's code, a notification failure's kind, … */
  reasonCode: string | null;
}

const alreadyFinished = 'ORDER.ALREADY_FINISHED';

/** Every id of a response with its outcome, finished-elsewhere told apart from failures. */
export function classifyResponse(response: CompleteOrderResponse): ClassifiedOrder[] {
  const out: ClassifiedOrder[] = [];
  for (const orderId of response.completedOrderIds) {
    out.push({ orderId, outcome: 'completed', reason: null, reasonCode: null });
  }
  for (const orderId of response.notFoundOrderIds) {
    out.push({ orderId, outcome: 'not_found', reason: null, reasonCode: 'NOT_FOUND' });
  }
  for (const { orderId, reasons } of response.unsuccessfulOrders) {
    const codes = reasons.map((r) => r.code);
    out.push({
      orderId,
      outcome:
        codes.length === 1 && codes[0] === alreadyFinished
          ? 'finished_elsewhere'
          : 'failed_requirements',
      reason: reasons,
      reasonCode: [...new Set(codes)].sort().join(' + '),
    });
  }
  for (const { orderId, reason } of response.unsuccessfullyNotifiedOrders) {
    out.push({
      orderId,
      outcome: 'not_notified',
      reason,
      reasonCode: notificationReasonCode(reason.kind, reason.status),
    });
  }
  for (const { orderId, reason } of response.unsuccessfullyUpdatedOrders) {
    out.push({
      orderId,
      outcome: reason.code === 'UPDATE.NOT_SUBMITTED' ? 'finished_elsewhere' : 'not_updated',
      reason,
      reasonCode: reason.code,
    });
  }
  // `?? []`: a server from before the list existed leaves it out of the answer.
  for (const { orderId, reason } of response.claimedElsewhereOrders ?? []) {
    out.push({ orderId, outcome: 'claimed_elsewhere', reason, reasonCode: reason.code });
  }
  return out;
}

/** `NOTIFY.TIMEOUT`, `NOTIFY.HTTP_503`, `NOTIFY.CIRCUIT_OPEN`, … */
export function notificationReasonCode(kind: string, status?: number): string {
  if (kind === 'http-status' && status !== undefined) return `NOTIFY.HTTP_${status}`;
  return `NOTIFY.${kind.toUpperCase().replaceAll('-', '_')}`;
}

/** How many ids of a response have each call outcome. */
export function countOutcomes(response: CompleteOrderResponse): CallOutcomeCounts {
  const counts = Object.fromEntries(callOutcomes.map((o) => [o, 0])) as CallOutcomeCounts;
  for (const { outcome } of classifyResponse(response)) counts[outcome] += 1;
  return counts;
}
