/** The order as the service sees it, independent of how it is stored. */
import { z } from 'zod';

/** The largest id the original schema's INT columns hold (2^31 - 1). */
export const MAX_ORDER_ID = 2_147_483_647;

export const orderIdSchema = z
  .number()
  .int()
  .min(1, 'an order id is a positive integer')
  .max(MAX_ORDER_ID, `an order id is at most ${MAX_ORDER_ID} (the database's INT range)`);
export type OrderId = z.infer<typeof orderIdSchema>;

export const orderStateSchema = z.enum(['SUBMITTED', 'FINISHED']);
export type OrderState = z.infer<typeof orderStateSchema>;

export const orderLineSchema = z.object({
  id: z.number().int().positive(),
  productId: z.number().int().positive(),
  orderedQuantity: z.number().int(),
  /** null while nothing has been recorded as delivered. */
  deliveredQuantity: z.number().int().nullable(),
});
export type OrderLine = z.infer<typeof orderLineSchema>;

export const orderSchema = z.object({
  id: orderIdSchema,
  orderDate: z.date(),
  state: orderStateSchema,
  lines: z.array(orderLineSchema),
});
export type Order = z.infer<typeof orderSchema>;
