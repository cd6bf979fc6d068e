/**
 * What a notifier protocol is (the properties the server, the bench and the fault suite read
 * instead of comparing names) and how it sends. One module per protocol implements it; the
 * registry (`index.ts`) lists them.
 */
import type { Clock } from '@ocs/domain';
import type { Call } from '../call.js';
import type { PolicyPipeline } from '../policy-pipeline.js';

/** The client options a protocol reads (the parsed `NotifierClientOptions` has them all). */
export interface ProtocolOptions {
  baseUrl: string;
  authHeader?: string | undefined;
  keyNamespace: string;
  concurrency: number;
  batchSize: number;
  attemptTimeoutMs: number;
  legacyTimeoutMs: number;
}

export interface SendContext {
  /** Every request of the sender goes through it (`run`), one unit per request's orders. */
  pipeline: PolicyPipeline;
  clock: Clock;
}

export interface ProtocolSender {
  /** Starts the call's orders through the pipeline; one promise per unit, never rejecting. */
  start(call: Call, ids: readonly number[]): Promise<void>[];
  /** Releases kept-alive connections; called once no unit is running. */
  close(): void;
}

export interface NotifierProtocol {
  /** What it is, in a few words (configuration docs and `--help` list it by name). */
  readonly summary: string;
  /**
   * The service de-duplicates resends by idempotency key, so a request that may have reached
   * it is safe to send again. Without keys, a resend may notify twice.
   */
  readonly idempotent: boolean;
  /**
   * Requests in flight at once when the deployment sets none (the server's
   * NOTIFIER_CONCURRENCY default; the client alone defaults to its `concurrency` option).
   */
  readonly defaultConcurrency: number;
  /** Most orders one request carries (a configured `batchSize` above it is not used). */
  readonly maxBatchSize: number;
  /** The deadline of one attempt under these options. */
  attemptTimeoutMs(options: Pick<ProtocolOptions, 'attemptTimeoutMs' | 'legacyTimeoutMs'>): number;
  createSender(options: ProtocolOptions, context: SendContext): ProtocolSender;
}
