/**
 * The original protocol: `GET /notify/{orderId}`, one order per request, success = any 2xx,
 * no idempotency key (the service cannot tell a resend from a new notification).
 */
import { CancelledError, mayHaveBeenDelivered } from '../attempt-errors.js';
import { LegacyTransport } from './legacy-transport.js';
import type { NotifierProtocol } from './protocol.js';

export const legacy: NotifierProtocol = {
  summary: 'GET /notify/{id}, one order per request',
  idempotent: false,
  // Requests carry one order each, so the requests in flight are the throughput: at 20 ms of
  // latency 64 send 1,408 orders in about 0.45 s of round trips (32 took 0.9 s). A crash can
  // re-send at most the requests in flight (64) plus one write of acknowledgements; the fault
  // suite's kill -9 at the default checks that bound. A service that cannot take 64 at once
  // gets fewer with NOTIFIER_CONCURRENCY.
  defaultConcurrency: 64,
  maxBatchSize: 1,
  // Longer than v1's: a request that timed out cannot be resent safely, so a slow but working
  // service is waited for.
  attemptTimeoutMs: (options) => options.legacyTimeoutMs,
  createSender(options, { pipeline }) {
    const transport = new LegacyTransport(options.baseUrl, options.authHeader, options.concurrency);
    const timeoutMs = options.legacyTimeoutMs;
    return {
      // The hot path: one `GET /notify/{id}` per attempt, with the transport's own deadline.
      start: (call, ids) =>
        ids.map((id) => {
          const track = call.track(id);
          return pipeline
            .run(call, async () => {
              if (call.signal.aborted) throw new CancelledError(false);
              track.attempts++;
              track.inFlight = true;
              try {
                await transport.notify(track.orderId, timeoutMs, call.inFlight);
              } catch (error) {
                if (mayHaveBeenDelivered(error)) track.maybeDelivered = true;
                throw error;
              } finally {
                track.inFlight = false;
              }
              call.succeed(track);
            })
            .catch((error: unknown) => call.fail(track, error));
        }),
      close: () => transport.close(),
    };
  },
};
