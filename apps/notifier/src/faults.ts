/** Fault injection: what the service does wrong, set from configuration or at run time. */
import { z } from 'zod';

export const faultsSchema = z.strictObject({
  /** Chance (0..1) that a notification of an order fails, rolled per order and request. */
  failureRate: z.number().min(0).max(1).default(0),
  /** These orders always fail. */
  failingOrderIds: z.array(z.number().int().positive()).default([]),
  /** Each order's first N requests fail: a deterministic "fails, then succeeds". */
  failFirstAttempts: z.number().int().nonnegative().default(0),
  /** Status of an injected failure (a batch reports it per entry). */
  failStatus: z.number().int().min(400).max(599).default(500),
  /** Sent as `Retry-After` with injected failures and with `down: '503'`. */
  retryAfterSeconds: z.number().int().nonnegative().optional(),
  /** Added to every notification request, plus a random 0..jitterMs. */
  latencyMs: z.number().int().nonnegative().max(600_000).default(0),
  jitterMs: z.number().int().nonnegative().max(600_000).default(0),
  /**
   * `refuse`: notification requests get their connection destroyed without an answer (a
   * network error for the client); `/control` keeps answering so the service can be brought
   * back. `503`: every notification request answers 503.
   */
  down: z.union([z.literal('refuse'), z.literal('503'), z.literal(false)]).default(false),
});
export type Faults = z.output<typeof faultsSchema>;
export type FaultsInput = z.input<typeof faultsSchema>;

export class FaultController {
  #faults: Faults;
  readonly #random: () => number;

  constructor(initial: FaultsInput = {}, random: () => number = Math.random) {
    this.#faults = faultsSchema.parse(initial);
    this.#random = random;
  }

  get(): Faults {
    return structuredClone(this.#faults);
  }

  /** Replaces the whole fault set; what is left out goes back to its default. */
  set(input: FaultsInput): Faults {
    this.#faults = faultsSchema.parse(input);
    return this.get();
  }

  latencyMs(): number {
    const { latencyMs, jitterMs } = this.#faults;
    return latencyMs + (jitterMs > 0 ? Math.floor(this.#random() * (jitterMs + 1)) : 0);
  }

  /** Whether this request for the order fails; `attempt` counts the order's requests, from 1. */
  shouldFail(orderId: number, attempt: number): boolean {
    const { failingOrderIds, failFirstAttempts, failureRate } = this.#faults;
    if (failingOrderIds.includes(orderId)) return true;
    if (attempt <= failFirstAttempts) return true;
    return failureRate > 0 && this.#random() < failureRate;
  }
}
