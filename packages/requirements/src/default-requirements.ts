/** Builds the list of requirements the composition root hands to the use case. */
import type { OrderRequirement } from '@ocs/domain';
import { z } from 'zod';
import { fullyDelivered } from './fully-delivered.js';
import { orderAge } from './order-age.js';
import { orderNotFinished } from './order-not-finished.js';

export const requirementsConfigSchema = z.object({
  minimumAgeMonths: z.number().int().nonnegative().default(6),
});
export type RequirementsConfig = z.input<typeof requirementsConfigSchema>;

export function defaultRequirements(config: RequirementsConfig = {}): OrderRequirement[] {
  const { minimumAgeMonths } = requirementsConfigSchema.parse(config);
  return [orderNotFinished, fullyDelivered, orderAge({ minimumAgeMonths })];
}
