/** Short, safe descriptions of what went wrong on the wire, for failure reasons and logs. */

const MAX_DETAIL_LENGTH = 200;

/** The service's `{ error }` message, or the body as it is, cut short. */
export function errorDetail(text: string): string {
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === 'object' && 'error' in body && typeof body.error === 'string') {
      return body.error.slice(0, MAX_DETAIL_LENGTH);
    }
  } catch {
    // not JSON: use the text as it is
  }
  return text.slice(0, MAX_DETAIL_LENGTH);
}

export function causeCode(error: unknown): unknown {
  if (!(error instanceof Error)) return undefined;
  const cause = error.cause as (Error & { code?: unknown }) | undefined;
  return cause?.code ?? (error as Error & { code?: unknown }).code;
}

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: unknown }).code;
    return `${error.message} (${typeof code === 'string' ? `${code}: ` : ''}${cause.message})`;
  }
  const code = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' && !error.message.includes(code)
    ? `${error.message} (${code})`
    : error.message;
}
