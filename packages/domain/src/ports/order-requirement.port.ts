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

/**
 * What a requirement can tell the database, so that listing pending orders skips those that
 * cannot pass yet. Only a shortcut: the requirement's own `check` stays the authority.
 */
export type PendingHint =
  | { kind: 'ordered-on-or-before'; date: Date }
  | { kind: 'fully-delivered' };

export interface OrderRequirementWithHint extends OrderRequirement {
  pendingHint(context: RequirementContext): PendingHint;
}

/** The hints of those requirements that give one. */
export function pendingHints(
  requirements: readonly OrderRequirement[],
  context: RequirementContext,
): PendingHint[] {
  return requirements.flatMap((requirement) =>
    'pendingHint' in requirement && typeof requirement.pendingHint === 'function'
      ? [(requirement as OrderRequirementWithHint).pendingHint(context)]
      : [],
  );
}
