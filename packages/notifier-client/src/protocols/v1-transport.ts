/**
 * One v1 HTTP attempt per call (legacy has its own transport, `legacy-transport.ts`). No
 * retries or timeouts here: ky's own are off so the cockatiel policies around these calls are
 * the only ones (attempts never multiply) and the per-attempt timeout cancels through the
 * signal it passes in.
 */
import ky, { type KyInstance } from 'ky';
import {
  ContractError,
  ForeignDuplicateError,
  HttpStatusError,
  isNotSentCode,
  NetworkError,
} from '../attempt-errors.js';
import { causeCode, describeError, errorDetail } from '../error-detail.js';
import { parseRetryAfter } from '../retry-after.js';
import {
  type BatchNotificationEntry,
  type BatchNotificationResult,
  batchNotificationResponseSchema,
  IDEMPOTENCY_KEY_HEADER,
  type NotificationRequest,
  notifierPaths,
} from '../wire.js';

export class NotifierTransport {
  readonly #http: KyInstance;

  constructor(baseUrl: string, authHeader: string | undefined) {
    this.#http = ky.create({
      prefixUrl: baseUrl,
      retry: 0,
      timeout: false,
      throwHttpErrors: false,
      headers: authHeader ? { authorization: authHeader } : {},
    });
  }

  async notifyV1(
    body: NotificationRequest,
    idempotencyKey: string,
    signal: AbortSignal,
  ): Promise<void> {
    const response = await this.#request(
      notifierPaths.notifications,
      { method: 'post', json: body, headers: { [IDEMPOTENCY_KEY_HEADER]: idempotencyKey } },
      signal,
    );
    await this.#ensureOk(response);
    // 201 accepted, 200 duplicate. A duplicate counts as delivered only for our own key: the
    // service echoes the key it matched; without an echo, the request carried ours.
    const answer = await response.text().catch(() => '');
    const echoed = echoedDuplicateKey(answer);
    if (echoed !== undefined && echoed !== idempotencyKey) {
      throw new ForeignDuplicateError(idempotencyKey, echoed);
    }
  }

  async notifyBatch(
    notifications: BatchNotificationEntry[],
    signal: AbortSignal,
  ): Promise<BatchNotificationResult[]> {
    const response = await this.#request(
      notifierPaths.batch,
      { method: 'post', json: { notifications } },
      signal,
    );
    await this.#ensureOk(response);
    const parsed = batchNotificationResponseSchema.safeParse(await this.#json(response, signal));
    if (!parsed.success) throw new ContractError(parsed.error.message);
    return parsed.data.results;
  }

  async #request(
    path: string,
    options: { method: 'get' | 'post'; json?: unknown; headers?: Record<string, string> },
    signal: AbortSignal,
  ): Promise<Response> {
    try {
      // ky's prefixUrl wants a path without the leading slash.
      return await this.#http(path.replace(/^\//, ''), { ...options, signal });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new NetworkError(describeError(error), !isNotSentCode(causeCode(error)));
    }
  }

  async #ensureOk(response: Response): Promise<void> {
    if (response.ok) return;
    const text = await response.text().catch(() => '');
    const retryAfterMs =
      response.status === 429 || response.status === 503
        ? parseRetryAfter(response.headers.get('retry-after'))
        : undefined;
    throw new HttpStatusError(response.status, errorDetail(text), retryAfterMs);
  }

  async #json(response: Response, signal: AbortSignal): Promise<unknown> {
    try {
      return await response.json();
    } catch (error) {
      if (signal.aborted) throw error;
      throw new ContractError(`the body is not JSON (${describeError(error)})`);
    }
  }
}

/** The echoed key of a "duplicate" answer, when the body is one and carries it. */
function echoedDuplicateKey(text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text);
    if (
      body &&
      typeof body === 'object' &&
      'status' in body &&
      body.status === 'duplicate' &&
      'idempotencyKey' in body &&
      typeof body.idempotencyKey === 'string'
    ) {
      return body.idempotencyKey;
    }
  } catch {
    // not JSON: a 2xx without a readable body is an acceptance
  }
  return undefined;
}
