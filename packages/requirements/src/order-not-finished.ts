import type { OrderRequirement } from '@ocs/domain';

/** Only SUBMITTED orders can be completed; a FINISHED one must not be notified again. */
export const orderNotFinished: OrderRequirement = {
  name: 'order-not-finished',
  check: (order) =>
    order.state === 'SUBMITTED'
      ? null
      : {
          requirement: 'order-not-finished',
          code: 'ORDER.ALREADY_FINISHED',
          message: `Order ${order.id} is ${order.state}, not SUBMITTED`,
        },
};
