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
  // Requests carry one order each: at 20 ms of latency, 16 made 2,000 orders take 1.8 s of
  // round trips. A crash can re-send at most the requests in flight.
  defaultConcurrency: 32,
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
