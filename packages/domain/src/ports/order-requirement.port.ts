import type { RequirementFailure } from '../complete-order-response.js';
import type { Order } from '../order.js';

export interface RequirementContext {
  /** The time of the completion call, read once from the injected clock. */
  now: Date;
}

/** `null` means the order passes; otherwise the reason it does not. */
export type RequirementResult = RequirementFailure | null;

export interface OrderRequirement {
  readonly name: string;
  check(order: Order, context: RequirementContext): RequirementResult;
}
