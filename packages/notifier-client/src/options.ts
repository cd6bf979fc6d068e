/** The client's settings: one zod schema with the defaults, parsed once at construction. */
import { z } from 'zod';
import { protocolSchema } from './protocols/names.js';
import { keyNamespaceSchema, MAX_BATCH_SIZE } from './wire.js';

const positiveInt = () => z.number().int().positive();

export const notifierClientOptionsSchema = z.strictObject({
  baseUrl: z
    .url({ protocol: /^https?$/ })
    // Credentials in the URL would be echoed by fetch's error into every failure reason.
    .refine(
      (url) => !/^[a-z]+:\/\/[^/]*@/i.test(url),
      'must not contain credentials; use authHeader',
    ),
  protocol: protocolSchema.default('v1'),
  /**
   * Required: the installation id, the namespace of every idempotency key
   * (`${keyNamespace}:order-completed:${orderId}`).
   */
  keyNamespace: keyNamespaceSchema,
  /** Total attempts per notification, the first one included (cockatiel counts retries). */
  maxAttempts: positiveInt().max(100).default(4),
  initialDelayMs: z.number().int().nonnegative().default(200),
  maxDelayMs: z.number().int().nonnegative().default(5000),
  /** Timeout of each v1 attempt (v1 retries a timeout: the key makes the resend harmless). */
  attemptTimeoutMs: positiveInt().default(5000),
  /**
   * Deadline of each legacy `GET /notify/{id}`. Longer than the v1 one: a legacy request that
   * timed out cannot be resent safely, so a slow but working service is waited for.
   */
  legacyTimeoutMs: positiveInt().default(30_000),
  /**
   * Legacy only: also retry a request that may have reached the service (a timeout, or a
   * connection dropped after it was sent). Off by default: that retry may notify twice.
   */
  retryUnconfirmed: z.boolean().default(false),
  /** Consecutive failed attempts (across all calls) that open the circuit. */
  breakerThreshold: positiveInt().default(10),
  halfOpenAfterMs: z.number().int().nonnegative().default(10_000),
  /** Requests in flight at once, across all calls of one notifier. */
  concurrency: positiveInt().default(8),
  /** Orders per v1 batch request; 1 uses the single endpoint. Ignored by `legacy`. */
  batchSize: positiveInt().max(MAX_BATCH_SIZE).default(50),
  /**
   * A `Retry-After` longer than this ends the retries for that order instead of holding the
   * whole call; the order is reported failed and the scheduler tries it later.
   */
  maxRetryAfterMs: z.number().int().nonnegative().default(30_000),
  /** Sent as the `Authorization` header; never logged. */
  authHeader: z.string().min(1).optional(),
});

export type NotifierClientOptionsInput = z.input<typeof notifierClientOptionsSchema>;
export type NotifierClientOptions = z.output<typeof notifierClientOptionsSchema>;

export class InvalidNotifierOptionsError extends Error {
  readonly code = 'NOTIFIER.INVALID_OPTIONS';
  readonly keys: string[];

  constructor(issues: readonly { path: readonly PropertyKey[]; message: string }[]) {
    const keys = [...new Set(issues.map((issue) => issue.path.map(String).join('.') || '(root)'))];
    const details = issues
      .map((issue) => `"${issue.path.map(String).join('.') || '(root)'}": ${issue.message}`)
      .join('; ');
    super(`Invalid notifier option${issues.length > 1 ? 's' : ''} ${details}`);
    this.name = 'InvalidNotifierOptionsError';
    this.keys = keys;
  }
}

/** Parses and defaults the options; throws one error naming every bad key. */
export function parseNotifierClientOptions(input: unknown): NotifierClientOptions {
  const parsed = notifierClientOptionsSchema.safeParse(input);
  if (!parsed.success) throw new InvalidNotifierOptionsError(parsed.error.issues);
  const options = parsed.data;
  if (options.maxDelayMs < options.initialDelayMs) {
    throw new InvalidNotifierOptionsError([
      {
        path: ['maxDelayMs'],
        message: `must be at least initialDelayMs (${options.initialDelayMs})`,
      },
    ]);
  }
  return options;
}
