/** The invariant checker itself, on hand-made evidence: it must see every kind of violation. */
import { describe, expect, it } from 'vitest';
import type { Snapshot } from './database.js';
import {
  computeCounts,
  countTakeOvers,
  type InstallationView,
  reportedIds,
  type ScenarioEvidence,
} from './invariants.js';
import type { RequestRecord, StoredNotification } from './notifier.js';

const SUBMITTED = 1;
const FINISHED = 2;

function snapshotOf(states: Record<number, number>, extra: Record<string, string> = {}): Snapshot {
  const orders = new Map<number, string>();
  for (const [id, state] of Object.entries(states)) {
    orders.set(
      Number(id),
      extra[id] ?? JSON.stringify({ Id: Number(id), OrderDate: '2025-01-01', OrderStateId: state }),
    );
  }
  return {
    tables: {
      ORDERS: orders,
      ORDER_STATES: new Map([
        [1, JSON.stringify({ Id: 1, OrderState: 'SUBMITTED' })],
        [2, JSON.stringify({ Id: 2, OrderState: 'FINISHED' })],
      ]),
    },
    stateIds: { SUBMITTED, FINISHED },
  };
}

function install(
  label: string,
  finished: number[],
  eligible = finished,
  ids = [1, 2, 3],
): InstallationView {
  const before = snapshotOf(Object.fromEntries(ids.map((id) => [id, SUBMITTED])));
  const after = snapshotOf(
    Object.fromEntries(ids.map((id) => [id, finished.includes(id) ? FINISHED : SUBMITTED])),
  );
  return { label, installationId: `inst-${label}`, eligible, before, after };
}

let seq = 0;
function req(
  orderIds: number[],
  at: number,
  status: number | null = 200,
  answered = status !== null,
  keys?: string[],
): RequestRecord {
  seq++;
  return {
    seq,
    route: keys ? 'POST /v1/notifications/batch' : 'GET /notify/:orderId',
    orderIds,
    receivedAtMs: at,
    status,
    answered,
    ...(keys ? { idempotencyKeys: keys } : {}),
  };
}

function evidence(partial: Partial<ScenarioEvidence>): ScenarioEvidence {
  return {
    protocol: 'legacy',
    installations: [],
    requests: [],
    stored: [],
    serverKills: [],
    fiveXx: 0,
    ...partial,
  };
}

describe('invariant checker', () => {
  it('counts a request after an acknowledged one as notified twice, not one after a failure', () => {
    const counts = computeCounts(
      evidence({
        installations: [install('a', [1, 2])],
        requests: [req([1], 0), req([1], 5000), req([2], 0, 500), req([2], 5000)],
      }),
    );
    expect(counts.notifiedTwice).toBe(1);
    expect(counts.finishedWithoutNotification).toBe(0);
  });

  it('allows a resend after an unanswered 2xx, and flags it when it comes within the same call', () => {
    const late = computeCounts(
      evidence({
        installations: [install('a', [1])],
        requests: [req([1], 0, 200, false), req([1], 8000)],
      }),
    );
    expect(late.notifiedTwice).toBe(0);
    expect(late.retriedUnconfirmed).toBe(0);
    const soon = computeCounts(
      evidence({
        installations: [install('a', [1])],
        requests: [req([1], 0, 200, false), req([1], 400)],
      }),
    );
    expect(soon.notifiedTwice).toBe(0);
    expect(soon.retriedUnconfirmed).toBe(1);
  });

  it('counts a resend across a kill -9 as resentAfterCrash, per kill', () => {
    const counts = computeCounts(
      evidence({
        installations: [install('a', [1, 2, 3])],
        requests: [req([1], 0), req([2], 10), req([1], 3000), req([2], 3000), req([3], 9000)],
        serverKills: [1000, 6000],
      }),
    );
    expect(counts.notifiedTwice).toBe(0);
    expect(counts.resentAfterCrash).toBe(2);
    expect(counts.resentByKill).toEqual([2, 0]);
  });

  it('legacy: an eligible order whose only request went unanswered may be held for an operator', () => {
    const counts = computeCounts(
      evidence({
        installations: [install('a', [1], [1, 2, 3])],
        requests: [req([1], 0), req([2], 0, 200, false), req([3], 0, 500)],
        holdUnconfirmed: true,
      }),
    );
    expect(counts.heldForOperator).toBe(1); // 2
    expect(counts.eligibleLeftUnfinished).toBe(1); // 3: its failure was answered
  });

  it('sees FINISHED without an acknowledgement, eligible left over and other changes', () => {
    const view = install('a', [1, 3], [1, 2]);
    view.after.tables.ORDERS?.set(2, JSON.stringify({ Id: 2, OrderDate: 'x', OrderStateId: 1 }));
    const counts = computeCounts(
      evidence({ installations: [view], requests: [req([1], 0), req([3], 0, 200, false)] }),
    );
    expect(counts.finishedWithoutNotification).toBe(1); // 3: its only request went unanswered
    expect(counts.eligibleLeftUnfinished).toBe(1); // 2
    expect(counts.unexpectedChanges).toBe(2); // 2's date changed; 3 finished though not eligible
  });

  it('v1: two installations with keys without a namespace leave one of them unnotified', () => {
    const stored: StoredNotification[] = [{ id: 1, orderId: 1, idempotencyKey: 'order-1' }];
    const counts = computeCounts(
      evidence({
        protocol: 'v1',
        installations: [install('a', [1], [1], [1]), install('b', [1], [1], [1])],
        requests: [req([1], 0, 200, true, ['order-1']), req([1], 10, 200, true, ['order-1'])],
        stored,
      }),
    );
    expect(counts.finishedWithoutNotification).toBe(1);
    expect(counts.notifiedTwice).toBe(0);
  });

  it('v1: namespaced keys attribute requests and notifications to their installation', () => {
    const stored: StoredNotification[] = [
      { id: 1, orderId: 1, idempotencyKey: 'inst-a:1' },
      { id: 2, orderId: 1, idempotencyKey: 'inst-b:1' },
    ];
    const ok = computeCounts(
      evidence({
        protocol: 'v1',
        installations: [install('a', [1], [1], [1]), install('b', [1], [1], [1])],
        requests: [req([1], 0, 200, true, ['inst-a:1']), req([1], 10, 200, true, ['inst-b:1'])],
        stored,
      }),
    );
    expect(ok.finishedWithoutNotification).toBe(0);
    expect(ok.notifiedTwice).toBe(0);
    const twice = computeCounts(
      evidence({
        protocol: 'v1',
        installations: [install('a', [1], [1], [1]), install('b', [1], [1], [1])],
        requests: [
          req([1], 0, 200, true, ['inst-a:1']),
          req([1], 10, 200, true, ['inst-b:1']),
          req([1], 900, 200, true, ['inst-a:1']),
        ],
        stored,
      }),
    );
    expect(twice.notifiedTwice).toBe(1);
  });

  it('v1: a re-request with the same key after an answer slower than the attempt timeout is a late-answer retry', () => {
    const stored: StoredNotification[] = [{ id: 1, orderId: 1, idempotencyKey: 'inst-a:1' }];
    const answeredAfter = (ms: number, at: number) => ({
      ...req([1], at, 200, true, ['inst-a:1']),
      answeredAtMs: at + ms,
    });
    const check = (first: RequestRecord, again: RequestRecord) =>
      computeCounts(
        evidence({
          protocol: 'v1',
          installations: [install('a', [1], [1], [1])],
          requests: [first, again],
          stored,
          attemptTimeoutMs: 600,
        }),
      );
    // Answered after 650 ms with a 600 ms attempt timeout: the client never read it; a later
    // call sent the same key again after the lease (the service deduplicated it).
    const late = check(answeredAfter(650, 0), req([1], 7000, 200, true, ['inst-a:1']));
    expect(late.notifiedTwice).toBe(0);
    expect(late.retriedAfterLateAnswer).toBe(1);
    // Answered in 60 ms: the client had it; asking again is a second notification.
    const read = check(answeredAfter(60, 0), req([1], 7000, 200, true, ['inst-a:1']));
    expect(read.notifiedTwice).toBe(1);
    // Late, but the retry carried another key: the customer could get two.
    const otherKey = check(answeredAfter(650, 0), req([1], 7000, 200, true, ['inst-a:1b']));
    expect(otherKey.notifiedTwice).toBe(1);
  });

  it('counts an order another replica asked for within the lease as a take-over, unless the first ended', () => {
    const found = countTakeOvers(
      [
        {
          replica: 0,
          requested: [
            { at: 0, orderId: 1 },
            { at: 0, orderId: 2 },
            { at: 0, orderId: 3 },
          ],
          ends: [],
        },
        {
          replica: 1,
          requested: [
            { at: 500, orderId: 1 },
            { at: 9000, orderId: 2 },
          ],
          ends: [],
        },
        { replica: 2, requested: [{ at: 600, orderId: 1 }], ends: [] },
      ],
      7000,
    );
    // 1: replica 1 within the lease (once, though replica 2 asked too); 2: after the lease.
    expect(found.takeOvers).toBe(1);
    expect(found.examples[0]).toContain('order 1');
    const afterKill = countTakeOvers(
      [
        { replica: 0, requested: [{ at: 0, orderId: 1 }], ends: [200] },
        { replica: 1, requested: [{ at: 500, orderId: 1 }], ends: [] },
      ],
      7000,
    );
    expect(afterKill.takeOvers).toBe(0); // replica 0 was killed in between: its claim ended
    const sameReplica = countTakeOvers(
      [
        {
          replica: 0,
          requested: [
            { at: 0, orderId: 1 },
            { at: 10, orderId: 1 },
          ],
          ends: [],
        },
      ],
      7000,
    );
    expect(sameReplica.takeOvers).toBe(0);
  });

  it('reads the ids a scheduler names from JSON arrays and id lists, nothing else', () => {
    const output = [
      '{"level":40,"msg":"run ended undone","undoneOrderIds":[11, 12,13]}',
      'left undone ids: 21, 22',
      'pending orders: 400',
    ].join('\n');
    expect([...reportedIds(output)].sort((a, b) => a - b)).toEqual([11, 12, 13, 21, 22]);
    expect(reportedIds('completed: 5, not found: 0').size).toBe(0);
  });
});
