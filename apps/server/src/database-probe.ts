/**
 * Pings the database in the background so a partition shows up in the logs and in
 * `/metrics` within seconds, even when no call is running: one error line when the database
 * stops answering (naming it, never its password), a reminder while it stays down, and one
 * info line with the outage's length when it answers again.
 */
import type { Logger } from '@ocs/domain';

export interface DatabaseProbeOptions {
  /** `SELECT 1` with its own deadline. */
  ping: () => Promise<void>;
  /** The database as logs may name it: host:port/name, the password hidden. */
  peer: string;
  intervalMs: number;
  logger: Logger;
  /** While down, one more error line every this many ms. Default 30,000. */
  remindEveryMs?: number;
}

export class DatabaseProbe {
  readonly #options: DatabaseProbeOptions;
  #up = true;
  /** Set once a ping has answered or failed: until then the gauge says "unknown". */
  #known = false;
  #downSince = 0;
  #lastReminder = 0;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(options: DatabaseProbeOptions) {
    this.#options = options;
  }

  /** 1 when the last ping answered, 0 when it did not; null before the first ping. */
  get up(): 0 | 1 | null {
    return this.#known ? (this.#up ? 1 : 0) : null;
  }

  start(): void {
    const tick = () => {
      this.#running = this.probe().finally(() => {
        this.#running = null;
        if (this.#timer) this.#timer = setTimeout(tick, this.#options.intervalMs).unref();
      });
    };
    this.#timer = setTimeout(tick, 0).unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** One ping, and the log line if that changed the state. */
  async probe(): Promise<void> {
    const { ping, peer, logger, remindEveryMs = 30_000 } = this.#options;
    const at = performance.now();
    try {
      await ping();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (this.#up || !this.#known) {
        this.#up = false;
        this.#known = true;
        this.#downSince = at;
        this.#lastReminder = at;
        logger.error({ database: peer, error: message }, `database ${peer} is unreachable`);
      } else if (at - this.#lastReminder >= remindEveryMs) {
        this.#lastReminder = at;
        const downForMs = Math.round(at - this.#downSince);
        logger.error(
          { database: peer, downForMs, error: message },
          `database ${peer} still unreachable after ${Math.round(downForMs / 1000)} s`,
        );
      }
      return;
    }
    if (!this.#up) {
      const downForMs = Math.round(performance.now() - this.#downSince);
      logger.info(
        { database: peer, downForMs },
        `database ${peer} reachable again after ${(downForMs / 1000).toFixed(1)} s`,
      );
    }
    this.#up = true;
    this.#known = true;
  }
}
