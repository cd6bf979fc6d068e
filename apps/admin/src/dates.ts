/**
 * Dates reach the app as `Date`s (superjson), except where a procedure sends ISO strings on
 * purpose (the ledger's epoch times): every date shown goes through here, whichever it is.
 */
export function asDate(value: Date | string | number | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** `2026-11-28 08:15:02 UTC`: one unambiguous form everywhere. */
export function formatDateTime(value: Date | string | number | null | undefined): string {
  const date = asDate(value);
  if (!date) return '—';
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function formatDay(value: Date | string | number | null | undefined): string {
  return asDate(value)?.toISOString().slice(0, 10) ?? '—';
}

/** `1 h 5 min`, `3.2 s`, `250 ms`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.floor((ms % 60_000) / 1000)} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}
