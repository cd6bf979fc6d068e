/** The notifier app as the benchmark uses it: started at a latency, counted, and checked. */
import { type RunningApp, startApp, waitForListening } from './processes.js';

export interface Notifier {
  app: RunningApp;
  url: string;
}

export async function startNotifier(latencyMs: number, compiled: boolean): Promise<Notifier> {
  const app = startApp('notifier', {
    env: { PORT: '0', LOG_LEVEL: 'info', FAULT_LATENCY_MS: String(latencyMs) },
    // It keeps every notification in memory: about 3 GB at ten million orders, past V8's
    // default heap limit. It is the bench's stand-in, not a process whose RSS is measured.
    nodeFlags: ['--max-old-space-size=12288'],
    compiled,
  });
  try {
    return { app, url: await waitForListening(app) };
  } catch (error) {
    await app.stop();
    throw error;
  }
}

export interface NotifierRequests {
  /** Notification requests (both protocols). */
  requests: number;
  byRoute: Record<string, number>;
  maxInFlight: number;
  notificationsStored: number;
  duplicates: number;
}

export async function notifierStats(url: string): Promise<NotifierRequests> {
  const stats = (await getJson(`${url}/stats`)) as NotifierRequests;
  // Only the notification routes (the counters include /stats and /control calls too).
  const byRoute = Object.fromEntries(
    Object.entries(stats.byRoute).filter(([route]) => /notify|notifications/.test(route)),
  );
  return {
    requests: stats.requests,
    byRoute,
    maxInFlight: stats.maxInFlight,
    notificationsStored: stats.notificationsStored,
    duplicates: stats.duplicates,
  };
}

export interface NotificationCheck {
  /** Eligible orders with exactly one stored notification. */
  eligibleNotifiedOnce: number;
  /** Eligible orders with no stored notification (should be 0). */
  eligibleNotNotified: number;
  /** Orders with more than one stored notification (should be 0). */
  notifiedMoreThanOnce: number;
  /** Stored notifications of orders that are not eligible (should be 0). */
  notifiedButNotEligible: number;
  /** From the request log: orders that were sent in more than one notification request. */
  ordersSentMoreThanOnce: number | null;
  /** False when the notifier's request log (capped at 200,000) dropped entries. */
  requestLogComplete: boolean;
}

/**
 * From the notifier's per-order tally (one id per stored notification), counted in typed arrays
 * indexed by order id, so ten million orders cost tens of megabytes here, not gigabytes.
 */
export async function checkNotifications(
  url: string,
  eligible: readonly number[],
): Promise<NotificationCheck> {
  const tally = (await getJson(`${url}/control/order-tally`)) as {
    notifiedOrderIds: number[];
    ordersSentMoreThanOnce: number;
    requestLogComplete: boolean;
  };
  let maxId = 0;
  for (const id of eligible) if (id > maxId) maxId = id;
  for (const id of tally.notifiedOrderIds) if (id > maxId) maxId = id;
  const isEligible = new Uint8Array(maxId + 1);
  for (const id of eligible) isEligible[id] = 1;
  // Stored notifications per order, saturating at 2: only 0, 1 and "more" matter.
  const counts = new Uint8Array(maxId + 1);
  for (const id of tally.notifiedOrderIds) counts[id] = Math.min(2, (counts[id] ?? 0) + 1);
  let eligibleNotifiedOnce = 0;
  let eligibleNotNotified = 0;
  let notifiedMoreThanOnce = 0;
  let notifiedButNotEligible = 0;
  for (let id = 0; id <= maxId; id++) {
    const count = counts[id] ?? 0;
    if (isEligible[id] === 1) {
      if (count === 1) eligibleNotifiedOnce++;
      if (count === 0) eligibleNotNotified++;
    } else if (count > 0) notifiedButNotEligible++;
    if (count > 1) notifiedMoreThanOnce++;
  }
  return {
    eligibleNotifiedOnce,
    eligibleNotNotified,
    notifiedMoreThanOnce,
    notifiedButNotEligible,
    ordersSentMoreThanOnce: tally.requestLogComplete ? tally.ordersSentMoreThanOnce : null,
    requestLogComplete: tally.requestLogComplete,
  };
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}
