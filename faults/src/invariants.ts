/**
 * The four invariants, computed only from what the database and the notification service
 * show (never from the server's own tables or logs):
 * 1. no order receives a second notification request after one was acknowledged (a 2xx whose
 *    response reached the client);
 * 2. no order is FINISHED without an acknowledged notification;
 * 3. every eligible order is FINISHED once the faults end;
 * 4. nothing else in ORDERS / ORDER_LINES / PRODUCTS / ORDER_STATES changes.
 */
import { type Protocol, protocols } from '@ocs/notifier-client';
import { diffSnapshots, type Snapshot } from './database.js';
import {
  acknowledged,
  type RequestRecord,
  type StoredNotification,
  unanswered,
} from './notifier.js';

export interface InstallationView {
  label: string;
  /** INSTALLATION_ID given to its servers; idempotency keys that contain it are its own. */
  installationId: string;
  eligible: number[];
  before: Snapshot;
  after: Snapshot;
}

export interface ScenarioEvidence {
  protocol: Protocol;
  installations: InstallationView[];
  requests: RequestRecord[];
  stored: StoredNotification[];
  /** Epoch ms of each `kill -9` of a server (a resend across one is `resentAfterCrash`). */
  serverKills: number[];
  /** 5xx answers the server replicas gave (counted by the proxies / direct callers). */
  fiveXx: number;
  /**
   * Legacy without NOTIFIER_RETRY_UNCONFIRMED: an eligible order whose requests all went
   * unanswered may be held for an operator (`heldForOperator`) rather than finished.
   */
  holdUnconfirmed?: boolean;
  /**
   * v1 only, for scenarios that time attempts out on purpose: a re-request carrying the same
   * idempotency key within this many ms of an acknowledged one is a client timeout that fired
   * before the (written) answer was read — `retriedAfterLateAnswer`, not `notifiedTwice`.
   */
  lateAnswerWindowMs?: number;
  /**
   * v1: the client's attempt timeout. An answer the notifier finished writing this long (less
   * 100 ms) after the request arrived may never have been read: the client had timed out. A
   * later re-request with the same idempotency key, even from a later call after the claim's
   * lease, is then a retry of an unconfirmed request (`retriedAfterLateAnswer`); the service
   * deduplicates it by its key, and what it stored twice is still `notifiedTwice`.
   */
  attemptTimeoutMs?: number;
  /** A re-request closer than this after an unanswered one counts as `retriedUnconfirmed`. */
  unconfirmedRetryWindowMs?: number;
}

export interface ScenarioCounts {
  orders: number;
  eligible: number;
  finished: number;
  notificationRequests: number;
  notifiedTwice: number;
  finishedWithoutNotification: number;
  eligibleLeftUnfinished: number;
  /**
   * Eligible orders left unfinished because their only requests went unanswered (they may have
   * been delivered) and legacy holds those for an operator (`holdUnconfirmed`): reported, not
   * counted in `eligibleLeftUnfinished`.
   */
  heldForOperator: number;
  /** See `lateAnswerWindowMs`: reported, not failed. */
  retriedAfterLateAnswer: number;
  unexpectedChanges: number;
  fiveXx: number;
  /**
   * Information, not an invariant: orders the notification service stored more than once
   * for one installation (e.g. a legacy request that timed out on our side, then sent again).
   */
  storedMoreThanOnce: number;
  /**
   * Legacy only: orders whose request went unanswered (it may have reached the service) and
   * that were requested again within `unconfirmedRetryWindowMs` — retried inside the same call
   * rather than after a claim's lease, though legacy has no key to make that safe.
   */
  retriedUnconfirmed: number;
  /** Only for `kill -9` of a server: orders re-sent across a crash after an acknowledgement. */
  resentAfterCrash?: number;
  /** `resentAfterCrash` split by the kill it followed (kills in time order). */
  resentByKill?: number[];
  /** First examples of each violation, for the failure message. */
  examples: Record<string, string[]>;
}

const MAX_EXAMPLES = 5;

function example(examples: Record<string, string[]>, key: string, text: string) {
  const list = examples[key] ?? [];
  examples[key] = list;
  if (list.length < MAX_EXAMPLES) list.push(text);
}

export function computeCounts(evidence: ScenarioEvidence): ScenarioCounts {
  const { installations, requests, stored, serverKills, protocol } = evidence;
  // With idempotency keys, the service's stored notifications say who was notified.
  const { idempotent } = protocols[protocol];
  const examples: Record<string, string[]> = {};
  const multi = installations.length > 1;
  const counts: ScenarioCounts = {
    orders: 0,
    eligible: 0,
    finished: 0,
    notificationRequests: requests.length,
    notifiedTwice: 0,
    finishedWithoutNotification: 0,
    eligibleLeftUnfinished: 0,
    heldForOperator: 0,
    retriedAfterLateAnswer: 0,
    unexpectedChanges: 0,
    fiveXx: evidence.fiveXx,
    storedMoreThanOnce: 0,
    retriedUnconfirmed: 0,
    examples,
  };

  // Which installation sent an entry: by the idempotency key when the log has keys that carry
  // an installation id; otherwise (one installation, or keys without a namespace) unknown.
  const ownerOf = (key: string | null | undefined): string | undefined =>
    key ? installations.find((i) => key.includes(i.installationId))?.label : undefined;
  const logHasOwners = multi && requests.some((r) => r.idempotencyKeys?.some((k) => ownerOf(k)));

  // Requests per (installation, order), in arrival order.
  const requestsOf = new Map<string, RequestRecord[]>();
  const ordered = [...requests].sort((a, b) => a.seq - b.seq);
  for (const record of ordered) {
    record.orderIds.forEach((orderId, index) => {
      const owner = logHasOwners ? ownerOf(record.idempotencyKeys?.[index]) : '*';
      const key = `${owner}:${orderId}`;
      const list = requestsOf.get(key) ?? [];
      list.push(record);
      requestsOf.set(key, list);
    });
  }

  // v1: what the service stored, per order (the customer's view).
  const storedOf = new Map<number, StoredNotification[]>();
  for (const notification of stored) {
    const list = storedOf.get(notification.orderId) ?? [];
    list.push(notification);
    storedOf.set(notification.orderId, list);
  }
  const keysNamespaced = stored.some((n) => ownerOf(n.idempotencyKey));

  const diffs = installations.map((installation) => ({
    installation,
    diff: diffSnapshots(installation.before, installation.after),
  }));
  // How many installations finished each order id (ids repeat across installations).
  const finishedBy = new Map<number, number>();
  for (const { diff } of diffs) {
    for (const id of diff.finished) finishedBy.set(id, (finishedBy.get(id) ?? 0) + 1);
  }

  let resent = 0;
  const resentByKill: number[] = serverKills.map(() => 0);
  const twice = new Set<string>();
  const notifiedTwice = (key: string, text: string) => {
    if (twice.has(key)) return;
    twice.add(key);
    example(examples, 'notifiedTwice', text);
  };
  for (const { installation, diff } of diffs) {
    const eligible = new Set(installation.eligible);
    counts.orders += installation.before.tables.ORDERS?.size ?? 0;
    counts.eligible += eligible.size;
    counts.finished += diff.finished.size;
    counts.unexpectedChanges += diff.unexpected.length;
    for (const text of diff.unexpected) example(examples, 'unexpectedChanges', text);
    for (const id of diff.finished) {
      if (!eligible.has(id)) {
        counts.unexpectedChanges++;
        example(
          examples,
          'unexpectedChanges',
          `${installation.label}: order ${id} FINISHED but not eligible`,
        );
      }
    }
    for (const id of eligible) {
      if (diff.finished.has(id)) continue;
      const owner = logHasOwners ? installation.label : '*';
      const list = requestsOf.get(`${owner}:${id}`) ?? [];
      if (evidence.holdUnconfirmed && list.some(unanswered) && !list.some(acknowledged)) {
        // Legacy, no key: a request that may have reached the service was never answered, and
        // the documented policy holds such an order for an operator instead of resending.
        counts.heldForOperator++;
        example(examples, 'heldForOperator', `${installation.label}: order ${id}`);
        continue;
      }
      counts.eligibleLeftUnfinished++;
      example(examples, 'eligibleLeftUnfinished', `${installation.label}: order ${id}`);
    }

    // Invariant 2: FINISHED only with an acknowledged notification of this installation.
    for (const id of diff.finished) {
      const owner = logHasOwners ? installation.label : '*';
      const acked = (requestsOf.get(`${owner}:${id}`) ?? []).some(acknowledged);
      let notified = acked;
      if (idempotent) {
        // A "duplicate" answer is a 2xx too: only a stored notification under this
        // installation's own key (or, when keys carry no namespace, one per installation
        // that finished the order) is a notification the customer got.
        const mine = storedOf.get(id) ?? [];
        notified = keysNamespaced
          ? mine.some((n) => ownerOf(n.idempotencyKey) === installation.label)
          : acked && mine.length > 0;
      }
      if (!notified) {
        counts.finishedWithoutNotification++;
        example(examples, 'finishedWithoutNotification', `${installation.label}: order ${id}`);
      }
    }
  }
  if (idempotent && !keysNamespaced && multi) {
    // Keys without a namespace: each installation that finished an order needs its own
    // stored notification; the shortfall is orders FINISHED with nobody notified.
    for (const [id, times] of finishedBy) {
      const missing = times - (storedOf.get(id)?.length ?? 0);
      if (missing > 0) {
        counts.finishedWithoutNotification += missing;
        example(
          examples,
          'finishedWithoutNotification',
          `order ${id}: ${times} installations finished it, ${storedOf.get(id)?.length ?? 0} notification(s) stored`,
        );
      }
    }
  }

  const retryWindowMs = evidence.unconfirmedRetryWindowMs ?? 1500;
  for (const [key, list] of idempotent ? new Map<string, RequestRecord[]>() : requestsOf) {
    const retried = list.some((record, i) => {
      const next = list[i + 1];
      return (
        unanswered(record) &&
        next !== undefined &&
        next.receivedAtMs - record.receivedAtMs < retryWindowMs &&
        !serverKills.some((at) => record.receivedAtMs <= at && at <= next.receivedAtMs)
      );
    });
    if (retried) {
      counts.retriedUnconfirmed++;
      example(examples, 'retriedUnconfirmed', `order ${key}`);
    }
  }

  // Invariant 1: nothing after the first acknowledged request of an order (per installation).
  const perOrderLimit = multi && !logHasOwners ? installations.length : 1;
  for (const [key, list] of requestsOf) {
    if (perOrderLimit > 1) {
      // Requests of several installations cannot be told apart: more acknowledged requests
      // than installations is a second notification.
      const acks = list.filter(acknowledged).length;
      if (acks > perOrderLimit) notifiedTwice(key, `${key}: ${acks} acknowledged requests`);
      continue;
    }
    const first = list.findIndex(acknowledged);
    if (first < 0 || first === list.length - 1) continue;
    const ack = list[first] as RequestRecord;
    const next = list[first + 1] as RequestRecord;
    // The crash between the acknowledgement and the resend (the last one before the resend).
    const crash = serverKills.findLastIndex(
      (at) => ack.receivedAtMs <= at && at <= next.receivedAtMs,
    );
    const acrossCrash = crash >= 0;
    const keyOf = (record: RequestRecord) =>
      record.idempotencyKeys?.[record.orderIds.indexOf(Number(key.split(':').pop()))];
    const answerMs =
      typeof ack.answeredAtMs === 'number' ? ack.answeredAtMs - ack.receivedAtMs : null;
    const lateAnswer =
      evidence.attemptTimeoutMs !== undefined &&
      answerMs !== null &&
      answerMs >= evidence.attemptTimeoutMs - 100;
    const soonAfter =
      evidence.lateAnswerWindowMs !== undefined &&
      next.receivedAtMs - ack.receivedAtMs < evidence.lateAnswerWindowMs;
    if (
      idempotent &&
      (soonAfter || lateAnswer) &&
      keyOf(ack) !== undefined &&
      keyOf(ack) === keyOf(next)
    ) {
      counts.retriedAfterLateAnswer++;
      example(examples, 'retriedAfterLateAnswer', `order ${key}: #${ack.seq} then #${next.seq}`);
      continue;
    }
    if (acrossCrash) {
      resent++;
      resentByKill[crash] = (resentByKill[crash] ?? 0) + 1;
    } else {
      notifiedTwice(
        key,
        `order ${key}: request #${ack.seq} acknowledged (${ack.route}), then #${next.seq} ${next.route} ${next.status ?? 'no answer'} (+${next.receivedAtMs - ack.receivedAtMs} ms)`,
      );
    }
  }
  if (idempotent) {
    // With keys, a second *stored* notification for one installation means a retry changed
    // the key: the customer got two.
    for (const [id, list] of storedOf) {
      const byOwner = new Map<string, number>();
      for (const n of list) {
        const owner = keysNamespaced ? (ownerOf(n.idempotencyKey) ?? '?') : '*';
        byOwner.set(owner, (byOwner.get(owner) ?? 0) + 1);
      }
      const limit = keysNamespaced ? 1 : installations.length;
      for (const [owner, n] of byOwner) {
        if (n > limit)
          notifiedTwice(`${owner}:${id}`, `order ${owner}:${id}: ${n} notifications stored`);
      }
    }
  }
  counts.notifiedTwice = twice.size;
  for (const [, list] of storedOf) {
    const byOwner = new Map<string, number>();
    for (const n of list) {
      const owner = keysNamespaced ? (ownerOf(n.idempotencyKey) ?? '?') : (n.idempotencyKey ?? '*');
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + 1);
    }
    if ([...byOwner.values()].some((n) => n > 1)) counts.storedMoreThanOnce++;
  }
  if (serverKills.length > 0) {
    counts.resentAfterCrash = resent;
    counts.resentByKill = resentByKill;
  }
  return counts;
}

/** What one replica asked the notifier for (its notifier proxy's tap). */
export interface ReplicaRequests {
  replica: number;
  requested: { at: number; orderId: number }[];
  /** Epoch ms at which this replica was killed or restarted (its claims legitimately end). */
  ends: number[];
}

/**
 * Take-overs of live claims, from outside: an order that replica B asked the notifier for
 * within `leaseMs` of replica A asking for it, with A neither killed nor restarted in between
 * (a live call of A held the claim). Counted once per order. Resolves examples too.
 */
export function countTakeOvers(
  replicas: ReplicaRequests[],
  leaseMs: number,
): { takeOvers: number; examples: string[] } {
  const events: { at: number; orderId: number; replica: number }[] = [];
  for (const r of replicas) {
    for (const q of r.requested) events.push({ ...q, replica: r.replica });
  }
  events.sort((a, b) => a.at - b.at);
  const endsOf = new Map(replicas.map((r) => [r.replica, r.ends]));
  const last = new Map<number, { at: number; replica: number }>();
  const taken = new Set<number>();
  const examples: string[] = [];
  for (const e of events) {
    const before = last.get(e.orderId);
    if (
      before &&
      before.replica !== e.replica &&
      e.at - before.at < leaseMs &&
      !(endsOf.get(before.replica) ?? []).some((end) => before.at <= end && end <= e.at) &&
      !taken.has(e.orderId)
    ) {
      taken.add(e.orderId);
      if (examples.length < MAX_EXAMPLES) {
        examples.push(
          `order ${e.orderId}: replica ${before.replica}, then replica ${e.replica} ${e.at - before.at} ms later`,
        );
      }
    }
    last.set(e.orderId, { at: e.at, replica: e.replica });
  }
  return { takeOvers: taken.size, examples };
}

/**
 * Order ids a scheduler's output names: every JSON array of integers in it (a log line's
 * `ids`, `undoneOrderIds`, …) and every `ids: 1, 2, 3` text line. A run that ends undone must
 * name each id it leaves, whatever the key.
 */
export function reportedIds(output: string): Set<number> {
  const ids = new Set<number>();
  for (const match of output.matchAll(/\[\s*(\d+(?:\s*,\s*\d+)*)\s*\]/g)) {
    for (const id of (match[1] ?? '').split(',')) ids.add(Number(id.trim()));
  }
  for (const match of output.matchAll(/ids?:\s*(\d+(?:\s*,\s*\d+)+)/gi)) {
    for (const id of (match[1] ?? '').split(',')) ids.add(Number(id.trim()));
  }
  return ids;
}
