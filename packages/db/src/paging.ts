/** Keyset paging shared by every `list`-style query of the repositories. */

export interface KeysetPage<T, C> {
  rows: T[];
  nextCursor: C | null;
}

/**
 * `rows` came from a query asked for `limit + 1` rows: the extra row only says that there is a
 * next page, whose cursor is the key of the last row kept.
 */
export function keysetPage<T, C>(
  rows: readonly T[],
  limit: number,
  cursorOf: (row: T) => C,
): KeysetPage<T, C> {
  const kept = rows.slice(0, limit);
  const last = kept.at(-1);
  return {
    rows: kept,
    nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null,
  };
}
