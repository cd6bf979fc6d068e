/** Integer id lists inlined into SQL: no bound parameter per id. */
import { type SQL, sql } from 'drizzle-orm';

/** `IN (...)` of integer ids, inlined: they are checked to be safe integers, never strings. */
export function idList(ids: readonly number[]): SQL {
  for (const id of ids) {
    if (!Number.isSafeInteger(id)) throw new TypeError(`not an integer id: ${String(id)}`);
  }
  return sql.raw(ids.join(','));
}
