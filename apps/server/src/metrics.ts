/**
 * Prometheus metrics (prom-client), one registry per server so tests can start several.
 * The use case stays unaware: the notifier and the completion service are wrapped here.
 */
import type { PoolStats } from '@ocs/db/client';
import {
  type CompleteOrderResponse,
  countOutcomes,
  isCompletionError,
  type OrderCompletion,
  type OrderNotifier,
} from '@ocs/domain';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricsSources {
  /** The notifier's circuit breaker, read at scrape time. */
  circuitState?: () => string;
  /** The database pool, read at scrape time; null when there is none. */
  poolStats?: () => PoolStats | null;
  /** The background probe's last answer: 1 up, 0 down, null before its first ping. */
  databaseUp?: () => 0 | 1 | null;
}

const circuitStates = ['closed', 'half-open', 'open', 'isolated'];

export class ServerMetrics {
  readonly registry = new Registry();
  readonly #calls = new Counter({
    name: 'ocs_completion_calls_total',
    help: 'Completion calls by outcome (COMPLETED, a CompletionError code, or FAILED)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly #orders = new Counter({
    name: 'ocs_completion_orders_total',
    help: 'Requested orders by outcome (the keys of the outcome table in @ocs/domain)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly #runDuration = new Histogram({
    name: 'ocs_completion_call_duration_seconds',
    help: 'Duration of one completion call, by outcome',
    labelNames: ['outcome'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  readonly #notifierLatency = new Histogram({
    name: 'ocs_notifier_call_duration_seconds',
    help: 'Duration of one call to the notifier client (a batch of orders, retries included)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly #notifications = new Counter({
    name: 'ocs_notifications_total',
    help: 'Order notifications by result',
    labelNames: ['result'],
    registers: [this.registry],
  });

  readonly #unrecorded = new Counter({
    name: 'ocs_notifications_unrecorded_total',
    help: 'Notifications the service acknowledged that could not be recorded (the database was lost): a call after their claims end sends them again',
    registers: [this.registry],
  });

  constructor(sources: MetricsSources = {}) {
    collectDefaultMetrics({ register: this.registry });
    const { circuitState, poolStats, databaseUp } = sources;
    new Gauge({
      name: 'ocs_database_up',
      help: 'Whether the database answered the last background ping (1) or not (0)',
      registers: [this.registry],
      collect() {
        const up = databaseUp?.();
        if (up !== null && up !== undefined) this.set(up);
      },
    });
    new Gauge({
      name: 'ocs_notifier_circuit_state',
      help: 'The notifier circuit breaker: 1 for the current state, 0 for the others',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const current = circuitState?.() ?? 'closed';
        for (const state of circuitStates) this.set({ state }, state === current ? 1 : 0);
      },
    });
    new Gauge({
      name: 'ocs_db_pool_connections',
      help: 'Database pool connections: limit, open, idle, and queries waiting for one',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const stats = poolStats?.();
        if (!stats) return;
        for (const [state, value] of Object.entries(stats)) this.set({ state }, value);
      },
    });
  }

  /** The notifier, timed per call and counted per order. */
  meterNotifier<N extends OrderNotifier>(notifier: N): OrderNotifier {
    return {
      notifyCompleted: async (orders, ...rest) => {
        const stop = this.#notifierLatency.startTimer();
        try {
          const results = await notifier.notifyCompleted(orders, ...rest);
          for (const result of results) {
            this.#notifications.inc({ result: result.ok ? 'notified' : 'failed' });
          }
          return results;
        } finally {
          stop();
        }
      },
    };
  }

  /** The completion service, counted per call and per order, and timed per run. */
  meterCompletion(completion: OrderCompletion): OrderCompletion {
    return {
      complete: async (orderIds, options) => {
        const stop = this.#runDuration.startTimer();
        let outcome = 'FAILED';
        try {
          const result = await completion.complete(orderIds, options);
          outcome = 'COMPLETED';
          this.#countOrders(result.response);
          return result;
        } catch (error) {
          if (isCompletionError(error)) {
            outcome = error.code;
            this.#countOrders(error.response);
          }
          throw error;
        } finally {
          stop({ outcome });
          this.#calls.inc({ outcome });
        }
      },
    };
  }

  #countOrders(response: CompleteOrderResponse) {
    // Every call outcome of @ocs/domain's table, under its key.
    const counts = countOutcomes(response);
    for (const [outcome, count] of Object.entries(counts)) this.#orders.inc({ outcome }, count);
    const unrecorded = response.unsuccessfullyUpdatedOrders.filter(
      (o) => o.reason.code === 'UPDATE.UNRECORDED',
    ).length;
    if (unrecorded > 0) this.#unrecorded.inc(unrecorded);
  }
}
