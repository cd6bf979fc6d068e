/** Splitting id lists so no statement exceeds the drivers' placeholder limits. */

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  return chunks;
}

/** mysql2 prepared statements take at most 65,535 placeholders. */
export const mysqlMaxPlaceholders = 65_535;
/** SQLite's default SQLITE_MAX_VARIABLE_NUMBER since 3.32. */
export const sqliteMaxVariables = 32_766;
/** Ids per `IN (...)`: a few thousand keeps statements small and round trips few. */
export const defaultChunkSize = 5_000;

export function checkChunkSize(size: number, max: number): number {
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw new RangeError(`chunkSize must be an integer from 1 to ${max}, got ${size}`);
  }
  return size;
}

/** Rows per multi-row INSERT so that rows × columns stays under the placeholder limit. */
export function rowsPerInsert(columns: number, max: number, wanted = 5_000): number {
  return Math.max(1, Math.min(wanted, Math.floor(max / columns)));
}

export interface OrderRepositoryOptions {
  /** Ids per `IN (...)` list and per statement. Default 5,000. */
  chunkSize?: number;
}
