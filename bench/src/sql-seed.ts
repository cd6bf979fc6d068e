/**
 * Generated orders made inside MariaDB: `INSERT ... SELECT` over the Sequence engine's
 * `seq_<a>_to_<b>` tables, a range of ids per statement, so ten million orders (and twenty
 * million lines) take minutes instead of the hour row-by-row inserts from Node would.
 *
 * Every value of an order is a pure function of the random seed and its id, through CRC32 of
 * a short text (`CRC32('<seed>:<id>')` in SQL, `zlib.crc32` here). So the bench knows each
 * id's kind without reading anything back, and the post-run checks can compute it inside the
 * database (`kindExpression`). The kinds and their weights are `realisticMix` of `@ocs/db`;
 * what each kind means is `generatedOrderKinds` there.
 */
import { crc32 } from 'node:zlib';
import { type GeneratedOrderKind, generatedOrderKinds, realisticMix } from '@ocs/db/client';
import type { Connection } from 'mysql2/promise';

/** Lines per order (except `no-lines`), as `seedGeneratedOrders` makes them. */
export const linesPerOrder = 2;
/** Product ids the lines use; the seed inserts these products. */
const productCount = 5;
/** Ids per INSERT ... SELECT: a million lines per statement keeps each transaction modest. */
const idsPerStatement = 500_000;

export interface SqlSeedOptions {
  /** Ages are relative to this (whole seconds, UTC). */
  now: Date;
  randomSeed: number;
  mix?: Record<GeneratedOrderKind, number>;
}

/** The cumulative weights: kind i owns the buckets [bounds[i-1], bounds[i]). */
function bucketBounds(mix: Record<GeneratedOrderKind, number>): { total: number; ends: number[] } {
  let total = 0;
  const ends = generatedOrderKinds.map((kind) => {
    const weight = mix[kind];
    if (!Number.isInteger(weight) || weight < 0) {
      throw new RangeError(`the weight of ${kind} must be an integer >= 0, got ${weight}`);
    }
    total += weight;
    return total;
  });
  if (total === 0) throw new RangeError('the mix has no weight at all');
  return { total, ends };
}

/** The kind of each order id under `seed`: what `kindExpression` computes in the database. */
export function kindClassifier(
  seed: number,
  mix: Record<GeneratedOrderKind, number> = realisticMix,
): (id: number) => GeneratedOrderKind {
  const { total, ends } = bucketBounds(mix);
  const prefix = `${integer(seed)}:`;
  return (id) => {
    const bucket = crc32(prefix + id) % total;
    return generatedOrderKinds[ends.findIndex((end) => bucket < end)] as GeneratedOrderKind;
  };
}

/**
 * An SQL expression giving the kind's index in `generatedOrderKinds` for the order id in
 * `idColumn`, the same as `kindOf`.
 */
export function kindExpression(
  idColumn: string,
  seed: number,
  mix: Record<GeneratedOrderKind, number> = realisticMix,
): string {
  const { total, ends } = bucketBounds(mix);
  const bucket = `(CRC32(CONCAT('${integer(seed)}:', ${idColumn})) % ${total})`;
  const cases = ends.map((end, index) => `WHEN ${bucket} < ${end} THEN ${index}`).join(' ');
  return `(CASE ${cases} END)`;
}

export const kindIndex = (kind: GeneratedOrderKind): number => generatedOrderKinds.indexOf(kind);

function integer(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`not an id or seed: ${value}`);
  return value;
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, as the service reads a DATETIME. */
function utcDatetime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

export interface SqlSeedResult {
  /** The first id; the orders are `firstId` .. `firstId + n - 1`. */
  firstId: number;
  seedSeconds: number;
}

/**
 * Inserts `n` orders with ids after the largest one present, their lines and the products
 * they use, on a migrated database (ORDER_STATES filled by the migrations).
 */
export async function seedOrdersInDatabase(
  c: Connection,
  n: number,
  options: SqlSeedOptions,
): Promise<SqlSeedResult> {
  integer(n);
  const seed = integer(options.randomSeed);
  const mix = options.mix ?? realisticMix;
  const started = performance.now();
  const [states] = (await c.query('SELECT Id, OrderState FROM ORDER_STATES')) as unknown as [
    { Id: number; OrderState: string }[],
  ];
  const stateId = (name: string) => {
    const row = states.find((s) => s.OrderState === name);
    if (!row) throw new Error(`ORDER_STATES has no ${name}: is the database migrated?`);
    return row.Id;
  };
  const [submitted, finished] = [stateId('SUBMITTED'), stateId('FINISHED')];
  const [[top]] = (await c.query(
    'SELECT COALESCE(MAX(Id), 0) AS maxId FROM ORDERS',
  )) as unknown as [{ maxId: number | string }[]];
  const firstId = Number(top?.maxId ?? 0) + 1;

  // The lines' foreign keys point at rows this seed makes itself, in order.
  await c.query('SET SESSION foreign_key_checks = 0, unique_checks = 0');
  try {
    const products = Array.from(
      { length: productCount },
      (_, i) => `(${i + 1}, 'Product ${i + 1}')`,
    );
    await c.query(`INSERT IGNORE INTO PRODUCTS (Id, ProductName) VALUES ${products.join(', ')}`);

    const kind = kindExpression('s.Id', seed, mix);
    const is = (name: GeneratedOrderKind) => `k.kind = ${kindIndex(name)}`;
    // A second, independent value per order (its age) and per line (quantity, product, ...).
    const h = (tag: string, ...parts: string[]) =>
      `CRC32(CONCAT('${seed}:${tag}:', ${parts.join(", ':', ")}))`;
    const now = utcDatetime(new Date(Math.floor(options.now.getTime() / 1000) * 1000));
    for (let from = 0; from < n; from += idsPerStatement) {
      const to = Math.min(n, from + idsPerStatement) - 1;
      // The ids of this range with their kind, as a derived table both inserts read.
      const range = `(SELECT seq + ${firstId} AS Id FROM seq_${from}_to_${to}) s`;
      const kinds = `(SELECT s.Id, ${kind} AS kind FROM ${range}) k`;
      // too-recent: 0-5 months old; every other kind 7-24 (the six-month rule never in doubt).
      const months = `IF(${is('too-recent')}, ${h('age', 'k.Id')} % 6, 7 + ${h('age', 'k.Id')} % 18)`;
      await c.query(
        `INSERT INTO ORDERS (Id, OrderDate, OrderStateId)
         SELECT k.Id, '${now}' - INTERVAL ${months} MONTH, IF(${is('finished')}, ${finished}, ${submitted})
         FROM ${kinds}`,
      );
      // not-delivered: one line (picked per order) short: NULL or one less than ordered.
      const ordered = `1 + ${h('q', 'k.Id', 'l.seq')} % 50`;
      const short = `${is('not-delivered')} AND l.seq = ${h('short', 'k.Id')} % ${linesPerOrder} + 1`;
      await c.query(
        `INSERT INTO ORDER_LINES (OrderId, ProductId, OrderedQuantity, DeliveredQuantity)
         SELECT k.Id, 1 + ${h('p', 'k.Id', 'l.seq')} % ${productCount}, ${ordered},
           CASE WHEN NOT (${short}) THEN ${ordered}
             WHEN ${h('null', 'k.Id')} % 2 = 0 THEN NULL
             ELSE ${ordered} - 1 END
         FROM ${kinds} JOIN seq_1_to_${linesPerOrder} l
         WHERE NOT ${is('no-lines')}`,
      );
    }
  } finally {
    await c.query('SET SESSION foreign_key_checks = 1, unique_checks = 1');
  }
  return { firstId, seedSeconds: (performance.now() - started) / 1000 };
}

/** The ids of each kind among `firstId` .. `firstId + n - 1`, computed here like the seed did. */
export function idsByKind(
  firstId: number,
  n: number,
  seed: number,
  mix: Record<GeneratedOrderKind, number> = realisticMix,
): Record<GeneratedOrderKind, number[]> {
  const byKind = Object.fromEntries(
    generatedOrderKinds.map((kind) => [kind, [] as number[]]),
  ) as Record<GeneratedOrderKind, number[]>;
  const kindOf = kindClassifier(seed, mix);
  for (let id = firstId; id < firstId + n; id++) byKind[kindOf(id)].push(id);
  return byKind;
}
