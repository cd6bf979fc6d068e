/**
 * `pnpm --filter @ocs/db db:seed [--generated N] [--all-eligible]`: the five demo orders by
 * default, or N generated orders (a realistic mix, or only completable ones).
 */
import { parseArgs } from 'node:util';
import { openDatabase, realisticMix, seedDemoOrders, seedGeneratedOrders } from '../client.js';

const { values } = parseArgs({
  options: {
    generated: { type: 'string' },
    'all-eligible': { type: 'boolean', default: false },
  },
});

const database = openDatabase({ url: process.env.DATABASE_URL });
try {
  await database.migrate();
  if (values.generated === undefined) {
    const { inserted } = await seedDemoOrders(database, new Date());
    console.log(
      inserted > 0 ? `Seeded ${inserted} demo orders` : 'Orders exist already: demo seed skipped',
    );
  } else {
    const count = Number(values.generated);
    if (!Number.isInteger(count) || count < 1) {
      throw new Error(`--generated needs a positive integer, got "${values.generated}"`);
    }
    const started = performance.now();
    const result = await seedGeneratedOrders(database, count, {
      mix: values['all-eligible'] ? { eligible: 1 } : realisticMix,
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `Seeded ${result.ids.length} orders (ids ${result.ids[0]}-${result.ids.at(-1)}) in ${seconds} s`,
    );
  }
} finally {
  await database.close();
}
