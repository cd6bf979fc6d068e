/**
 * The `OrderNotifier` over HTTP. It composes the parts: the configured protocol sends (one
 * unit per request's worth of orders, `protocols/`), every unit goes through the policy
 * pipeline (`policy-pipeline.ts`), and the call state (`call.ts`) holds each order's result,
 * final as soon as it is known and handed to `onResult` at once.
 */
import {
  type Clock,
  type Logger,
  type NotificationResult,
  type NotifyOptions,
  type Order,
  type OrderNotifier,
  silentLogger,
  systemClock,
} from '@ocs/domain';
import { Call } from './call.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import {
  type NotifierClientOptions,
  type NotifierClientOptionsInput,
  parseNotifierClientOptions,
} from './options.js';
import { type CircuitStateName, PolicyPipeline } from './policy-pipeline.js';
import { type ProtocolSender, protocols } from './protocols/index.js';

export type { CircuitStateName } from './policy-pipeline.js';

export interface NotifierDependencies {
  logger?: Logger;
  clock?: Clock;
}

/** Parses the options (throws one error naming the bad keys) and builds the notifier. */
export function createOrderNotifier(
  input: NotifierClientOptionsInput,
  dependencies: NotifierDependencies = {},
): HttpOrderNotifier {
  return new HttpOrderNotifier(parseNotifierClientOptions(input), dependencies);
}

export class HttpOrderNotifier implements OrderNotifier {
  readonly options: NotifierClientOptions;
  readonly #logger: Logger;
  readonly #pipeline: PolicyPipeline;
  readonly #sender: ProtocolSender;
  /** Every unit still inside the pipeline (queued, backing off or in flight), for `close()`. */
  readonly #running = new Set<Promise<void>>();

  constructor(options: NotifierClientOptions, dependencies: NotifierDependencies = {}) {
    this.options = options;
    this.#logger = dependencies.logger ?? silentLogger;
    const protocol = protocols[options.protocol];
    // With idempotency keys a resend is de-duplicated by the service; without, a request that
    // may have been delivered is resent only when configured.
    this.#pipeline = new PolicyPipeline(
      options,
      protocol.idempotent || options.retryUnconfirmed,
      this.#logger,
    );
    this.#sender = protocol.createSender(options, {
      pipeline: this.#pipeline,
      clock: dependencies.clock ?? systemClock,
    });
  }

  get circuitState(): CircuitStateName {
    return this.#pipeline.circuitState;
  }

  /** The idempotency key this notifier sends for an order. */
  keyFor(orderId: number): string {
    return idempotencyKeyFor(this.options.keyNamespace, orderId);
  }

  async notifyCompleted(
    orders: readonly Order[],
    options: NotifyOptions = {},
  ): Promise<NotificationResult[]> {
    // The same order twice in one call is notified once and answered twice.
    const ids = [...new Set(orders.map((order) => order.id))];
    if (ids.length === 0) return [];
    const call = new Call(ids, options, this.#logger);
    try {
      if (!call.signal.aborted) for (const unit of this.#sender.start(call, ids)) this.#track(unit);
      await call.done;
    } finally {
      call.dispose();
    }
    const results = orders.map((order) => call.resultOf(order.id));
    const failed = results.filter((result) => !result.ok).length;
    this.#logger.debug(
      { orders: ids.length, notified: ids.length - failed, failed, circuit: this.circuitState },
      'notified completed orders',
    );
    return results;
  }

  /**
   * Waits until no request of this notifier is queued or in flight (aborted calls wind down
   * too), then closes its kept-alive connections. For shutdown and tests.
   */
  async close(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
    this.#sender.close();
  }

  #track(unit: Promise<void>): void {
    this.#running.add(unit);
    unit.then(() => this.#running.delete(unit));
  }
}
