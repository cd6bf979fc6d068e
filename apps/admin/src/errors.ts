/** Every failure of a call, in words an operator can act on. */
import { isApiError } from './trpc';

export interface DescribedError {
  title: string;
  detail: string;
  /** The server could not be reached at all. */
  offline: boolean;
}

export function describeError(error: unknown): DescribedError {
  if (isApiError(error)) {
    const status = error.data?.httpStatus;
    if (status === undefined) {
      return {
        title: 'The server cannot be reached',
        detail:
          'No answer from the order completion server: it may be stopped or restarting, or the network is down. The page reloads its data when the server answers again.',
        offline: true,
      };
    }
    if (status === 401) {
      return {
        title: 'Not signed in',
        detail:
          'The server does not accept this token. Sign out and sign in with a valid admin token.',
        offline: false,
      };
    }
    if (status === 403) {
      return {
        title: 'Not allowed',
        detail: `The server refused: ${error.message}.`,
        offline: false,
      };
    }
    if (status === 404) return { title: 'Not found', detail: error.message, offline: false };
    if (status === 400) {
      return { title: 'The server refused the request', detail: error.message, offline: false };
    }
    if (status === 503) {
      return {
        title: 'The server is unavailable',
        detail: `${error.message}. Try again in a moment.`,
        offline: false,
      };
    }
    return {
      title: `Server error (${status})`,
      detail: error.data?.retryable
        ? `${error.message}. The call can be repeated safely.`
        : error.message,
      offline: false,
    };
  }
  return {
    title: 'Something went wrong',
    detail: error instanceof Error ? error.message : String(error),
    offline: false,
  };
}
