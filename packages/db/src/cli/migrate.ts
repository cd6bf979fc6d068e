/** `pnpm --filter @ocs/db db:migrate`: applies migrations to DATABASE_URL (default: the embedded file). */
import { openDatabase } from '../client.js';

const database = openDatabase({ url: process.env.DATABASE_URL });
try {
  await database.migrate();
  console.log(`Migrated ${database.dialect} database ${database.redactedUrl}`);
} finally {
  await database.close();
}
