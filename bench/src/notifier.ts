/** The notifier app as the benchmark uses it: started at a latency, counted, and checked. */
import { type RunningApp, startApp, waitForListening } from './processes.js';

export interface Notifier {
  app: RunningApp;
  url: string;
}

export async function startNotifier(latencyMs: number, compiled: boolean): Promise<Notifier> {
  const app = startApp('notifier', {
    env: { PORT: '0', LOG_LEVEL: 'info', FAULT_LATENCY_MS: String(latencyMs) },
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

export async function checkNotifications(
  url: string,
  eligible: readonly number[],
): Promise<NotificationCheck> {
  const { notifications } = (await getJson(`${url}/v1/notifications`)) as {
    notifications: { orderId: number }[];
  };
  const counts = new Map<number, number>();
  for (const { orderId } of notifications) counts.set(orderId, (counts.get(orderId) ?? 0) + 1);
  const eligibleSet = new Set(eligible);
  let eligibleNotifiedOnce = 0;
  let eligibleNotNotified = 0;
  for (const id of eligible) {
    const count = counts.get(id) ?? 0;
    if (count === 1) eligibleNotifiedOnce++;
    if (count === 0) eligibleNotNotified++;
  }
  let notifiedMoreThanOnce = 0;
  let notifiedButNotEligible = 0;
  for (const [id, count] of counts) {
    if (count > 1) notifiedMoreThanOnce++;
    if (!eligibleSet.has(id)) notifiedButNotEligible++;
  }

  const [{ requests }, stats] = await Promise.all([
    getJson(`${url}/control/requests`) as Promise<{ requests: { orderIds: number[] }[] }>,
    getJson(`${url}/stats`) as Promise<{ requests: number }>,
  ]);
  const sent = new Map<number, number>();
  for (const request of requests) {
    for (const id of request.orderIds) sent.set(id, (sent.get(id) ?? 0) + 1);
  }
  let ordersSentMoreThanOnce = 0;
  for (const count of sent.values()) if (count > 1) ordersSentMoreThanOnce++;
  const requestLogComplete = requests.length >= stats.requests;
  return {
    eligibleNotifiedOnce,
    eligibleNotNotified,
    notifiedMoreThanOnce,
    notifiedButNotEligible,
    ordersSentMoreThanOnce: requestLogComplete ? ordersSentMoreThanOnce : null,
    requestLogComplete,
  };
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}
