/** The order as the service sees it, independent of how it is stored. */
import { z } from 'zod';

export const orderIdSchema = z.number().int().positive();
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
