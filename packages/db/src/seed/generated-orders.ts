/** N generated orders for benchmarks and large tests, inserted with multi-row inserts. */
import { demoProducts, monthsBefore } from './demo-orders.js';
import type { SeedLineRow, SeedOrderRow, SeedTarget } from './seed-writer.js';

/**
 * - `eligible`: SUBMITTED, 7-24 months old, every line fully delivered (passes the default requirements)
 * - `too-recent`: like eligible but 0-5 months old
 * - `not-delivered`: old, one line delivered short or not at all
 * - `no-lines`: old, SUBMITTED, no lines
 * - `finished`: old, fully delivered, already FINISHED
 */
export const generatedOrderKinds = [
  'eligible',
  'too-recent',
  'not-delivered',
  'no-lines',
  'finished',
] as const;
export type GeneratedOrderKind = (typeof generatedOrderKinds)[number];

export interface GeneratedOrdersOptions {
  /** Ages are relative to this. Default: now. */
  now?: Date;
  /** Relative weights of the kinds. Default: only `eligible`. */
  mix?: Partial<Record<GeneratedOrderKind, number>>;
  /** Lines per order (except `no-lines`). Default 2. */
  linesPerOrder?: number;
  /** Orders per transaction. Default 10,000. */
  batchSize?: number;
  /** Seed of the pseudo-random generator, so a run can be repeated. Default 1. */
  randomSeed?: number;
}

export interface GeneratedOrdersResult {
  /** All inserted ids, ascending. */
  ids: number[];
  idsByKind: Record<GeneratedOrderKind, number[]>;
}

/** A mix with a bit of everything, for benchmarks that should look like real data. */
export const realisticMix: Record<GeneratedOrderKind, number> = {
  eligible: 70,
  'too-recent': 10,
  'not-delivered': 10,
  'no-lines': 2,
  finished: 8,
};

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function seedGeneratedOrders(
  target: SeedTarget,
  count: number,
  options: GeneratedOrdersOptions = {},
): Promise<GeneratedOrdersResult> {
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`count must be >= 0, got ${count}`);
  const now = options.now ?? new Date();
  const linesPerOrder = options.linesPerOrder ?? 2;
  const batchSize = options.batchSize ?? 10_000;
  const weights = generatedOrderKinds.map((kind) => Math.max(0, options.mix?.[kind] ?? 0));
  const total = weights.reduce((sum, w) => sum + w, 0);
  const effective =
    total > 0 ? weights : generatedOrderKinds.map((k) => (k === 'eligible' ? 1 : 0));
  const effectiveTotal = effective.reduce((sum, w) => sum + w, 0);
  const random = mulberry32(options.randomSeed ?? 1);
  const pickKind = (): GeneratedOrderKind => {
    let roll = random() * effectiveTotal;
    for (const [index, kind] of generatedOrderKinds.entries()) {
      roll -= effective[index] ?? 0;
      if (roll < 0) return kind;
    }
    return 'eligible';
  };
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));

  const writer = target.seedWriter;
  await writer.ensureProducts(demoProducts);
  const firstId = (await writer.maxOrderId()) + 1;
  const result: GeneratedOrdersResult = {
    ids: [],
    idsByKind: {
      eligible: [],
      'too-recent': [],
      'not-delivered': [],
      'no-lines': [],
      finished: [],
    },
  };

  for (let offset = 0; offset < count; offset += batchSize) {
    const orders: SeedOrderRow[] = [];
    const lines: SeedLineRow[] = [];
    for (let i = offset; i < Math.min(count, offset + batchSize); i++) {
      const id = firstId + i;
      const kind = pickKind();
      const months = kind === 'too-recent' ? between(0, 5) : between(7, 24);
      orders.push({
        id,
        orderDate: monthsBefore(now, months),
        state: kind === 'finished' ? 'FINISHED' : 'SUBMITTED',
      });
      if (kind !== 'no-lines') {
        const shortLine = kind === 'not-delivered' ? between(0, linesPerOrder - 1) : -1;
        for (let line = 0; line < linesPerOrder; line++) {
          const ordered = between(1, 50);
          lines.push({
            orderId: id,
            productId: between(1, demoProducts.length),
            orderedQuantity: ordered,
            deliveredQuantity: line !== shortLine ? ordered : random() < 0.5 ? null : ordered - 1,
          });
        }
      }
      result.ids.push(id);
      result.idsByKind[kind].push(id);
    }
    await writer.insertOrders(orders, lines);
  }
  return result;
}
