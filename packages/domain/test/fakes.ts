/** In-process fakes of the ports, for unit tests of the use case only. */
import type {
  MarkFinishedResult,
  NotificationFailure,
  NotificationResult,
  Order,
  OrderNotifier,
  OrderRepository,
} from '../src/index.js';

export class InMemoryOrderRepository implements OrderRepository {
  readonly orders = new Map<number, Order>();
  readonly findCalls: number[][] = [];
  readonly markFinishedCalls: number[][] = [];
  failMarkFinishedWith: Error | null = null;

  constructor(orders: Order[]) {
    for (const order of orders) this.orders.set(order.id, structuredClone(order));
  }

  async findByIds(ids: readonly number[]): Promise<Order[]> {
    this.findCalls.push([...ids]);
    return [...new Set(ids)].flatMap((id) => {
      const order = this.orders.get(id);
      return order ? [structuredClone(order)] : [];
    });
  }

  async markFinished(ids: readonly number[], _at: Date): Promise<MarkFinishedResult> {
    this.markFinishedCalls.push([...ids]);
    if (this.failMarkFinishedWith) throw this.failMarkFinishedWith;
    const updatedIds = ids.filter((id) => this.orders.get(id)?.state === 'SUBMITTED');
    for (const id of updatedIds) {
      const order = this.orders.get(id);
      if (order) order.state = 'FINISHED';
    }
    return { updatedIds };
  }

  async findPendingIds(): Promise<never> {
    throw new Error('not used by the use case');
  }

  async list(): Promise<never> {
    throw new Error('not used by the use case');
  }
}

export class RecordingNotifier implements OrderNotifier {
  readonly notified: number[] = [];
  readonly calls: number[][] = [];
  readonly failures = new Map<number, NotificationFailure>();

  async notifyCompleted(orders: readonly Order[]): Promise<NotificationResult[]> {
    this.calls.push(orders.map((o) => o.id));
    return orders.map((order): NotificationResult => {
      const reason = this.failures.get(order.id);
      if (reason) return { orderId: order.id, ok: false, reason };
      this.notified.push(order.id);
      return { orderId: order.id, ok: true, attempts: 1 };
    });
  }
}
