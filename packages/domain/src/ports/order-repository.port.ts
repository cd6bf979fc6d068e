import type { Order, OrderId, OrderState } from '../order.js';
import type { PendingHint } from './order-requirement.port.js';

export interface MarkFinishedResult {
  /** Ids whose state this call changed from SUBMITTED to FINISHED. */
  updatedIds: OrderId[];
}

export interface OrderPage {
  orders: Order[];
  /** Pass as `afterId` to get the next page; null when there is none. */
  nextCursor: OrderId | null;
}

export interface IdPage {
  ids: OrderId[];
  nextCursor: OrderId | null;
}

export interface OrderRepository {
  /** Orders with all their lines; unknown ids are left out. Duplicate ids give one order. */
  findByIds(ids: readonly OrderId[]): Promise<Order[]>;
  /**
   * Sets the given SUBMITTED orders to FINISHED, all or nothing. Orders that are not
   * SUBMITTED (or do not exist) are left alone and are not in `updatedIds`.
   */
  markFinished(ids: readonly OrderId[], at: Date): Promise<MarkFinishedResult>;
  /**
   * Ids of SUBMITTED orders no live call has claimed (live in the database's clock),
   * ascending, after the cursor, leaving out those the hints say cannot pass yet.
   */
  findPendingIds(query: {
    afterId?: OrderId | undefined;
    limit: number;
    hints?: readonly PendingHint[] | undefined;
  }): Promise<IdPage>;
  /** Orders ascending by id, optionally of one state, after the cursor. */
  list(query: {
    state?: OrderState | undefined;
    afterId?: OrderId | undefined;
    limit: number;
  }): Promise<OrderPage>;
}
