/**
 * The nemesis: a seeded, randomized fault schedule over one run (in the spirit of Jepsen). A
 * schedule is a pure function of its seed (fast-check's seeded generation), so
 * `pnpm test:faults --seed N` replays the same faults at the same offsets; what the processes
 * do in between (which request a kill lands on) is up to the machine.
 */

import type { PartitionMode } from '@ocs/db/testing';
import { type Protocol, protocolNames, protocols } from '@ocs/notifier-client';
import fc from 'fast-check';
import { formatOffset } from './clock.js';

export type NemesisEvent =
  | {
      kind: 'kill-replica';
      atMs: number;
      replica: number;
      restartAfterMs: number;
      offsetMs: number;
    }
  | { kind: 'restart-replica'; atMs: number; replica: number; offsetMs: number }
  | { kind: 'kill-scheduler'; atMs: number; restartAfterMs: number; replica: number }
  | { kind: 'db-partition'; atMs: number; replica: number; mode: PartitionMode; durationMs: number }
  | {
      kind: 'notifier-partition';
      atMs: number;
      replica: number;
      mode: PartitionMode;
      durationMs: number;
    }
  | { kind: 'notifier-slow'; atMs: number; latencyMs: number; durationMs: number }
  | { kind: 'notifier-failing'; atMs: number; failureRate: number; durationMs: number }
  | { kind: 'notifier-down'; atMs: number; durationMs: number }
  | { kind: 'kill-connections'; atMs: number; durationMs: number };

export interface Schedule {
  seed: number;
  protocol: Protocol;
  orders: number;
  /** Notifier latency outside the faults. */
  latencyMs: number;
  /** The `run-once` runs of the schedule: against which replica, when (the first at 0). */
  schedulers: { replica: number; atMs: number }[];
  events: NemesisEvent[];
  /**
   * Overlapping calls beside the runs (a load balancer retrying a slow call elsewhere, an
   * operator's retry): from `atMs`, every 100 ids go to two replicas at once. Null: none.
   */
  overlap: { atMs: number; replicas: [number, number] } | null;
}

export interface ScheduleLimits {
  replicas: number;
  minOrders: number;
  maxOrders: number;
  /** Faults start within this window after the run starts. */
  windowMs: number;
  maxEvents: number;
  /** Longest partition / outage. */
  maxDurationMs: number;
}

export const ciLimits: ScheduleLimits = {
  replicas: 3,
  minOrders: 300,
  maxOrders: 600,
  windowMs: 3000,
  maxEvents: 5,
  maxDurationMs: 2000,
};

export const longLimits: ScheduleLimits = {
  ...ciLimits,
  maxOrders: 2000,
  windowMs: 6000,
  maxEvents: 8,
  maxDurationMs: 4000,
};

/** Minutes to hours, ahead or behind. */
const clockOffset = fc
  .tuple(fc.boolean(), fc.constantFrom(2, 5, 15, 30, 60, 120, 360))
  .map(([ahead, minutes]) => (ahead ? 1 : -1) * minutes * 60_000);

function eventArbitrary(limits: ScheduleLimits, protocol: Protocol): fc.Arbitrary<NemesisEvent> {
  const at = fc.integer({ min: 0, max: limits.windowMs });
  const replica = fc.integer({ min: 0, max: limits.replicas - 1 });
  const duration = fc.integer({ min: 300, max: limits.maxDurationMs });
  const mode = fc.constantFrom<PartitionMode>('blackhole', 'refuse');
  const offsetOrNone = fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: clockOffset },
  );
  return fc.oneof(
    fc.record({
      kind: fc.constant('kill-replica' as const),
      atMs: at,
      replica,
      restartAfterMs: fc.integer({ min: 0, max: 1000 }),
      offsetMs: offsetOrNone,
    }),
    fc.record({
      kind: fc.constant('restart-replica' as const),
      atMs: at,
      replica,
      offsetMs: clockOffset,
    }),
    fc.record({
      kind: fc.constant('kill-scheduler' as const),
      atMs: at,
      restartAfterMs: fc.integer({ min: 0, max: 1000 }),
      replica,
    }),
    fc.record({
      kind: fc.constant('db-partition' as const),
      atMs: at,
      replica,
      mode,
      durationMs: duration,
    }),
    fc.record({
      kind: fc.constant('notifier-partition' as const),
      atMs: at,
      replica,
      mode,
      durationMs: duration,
    }),
    fc.record({
      kind: fc.constant('notifier-slow' as const),
      atMs: at,
      latencyMs: fc.integer({ min: 200, max: 900 }),
      durationMs: duration,
    }),
    // A request of several orders has one status in the log: only whole-request failures (503).
    fc.record({
      kind: fc.constant('notifier-failing' as const),
      atMs: at,
      failureRate:
        protocols[protocol].maxBatchSize === 1 ? fc.constantFrom(0.3, 0.5, 1) : fc.constant(1),
      durationMs: duration,
    }),
    fc.record({ kind: fc.constant('notifier-down' as const), atMs: at, durationMs: duration }),
    fc.record({ kind: fc.constant('kill-connections' as const), atMs: at, durationMs: duration }),
  );
}

export function scheduleFor(seed: number, limits: ScheduleLimits = ciLimits): Schedule {
  // In name order, so a seed draws the same schedule whatever the registry's order.
  const arbitrary = fc.constantFrom(...[...protocolNames].sort()).chain((protocol) =>
    fc.record({
      protocol: fc.constant(protocol),
      orders: fc.integer({ min: limits.minOrders, max: limits.maxOrders }),
      latencyMs: fc.constantFrom(20, 40, 60),
      schedulers: fc.array(
        fc.record({
          replica: fc.integer({ min: 0, max: limits.replicas - 1 }),
          atMs: fc.integer({ min: 0, max: Math.floor(limits.windowMs / 2) }),
        }),
        { minLength: 1, maxLength: 2 },
      ),
      events: fc.array(eventArbitrary(limits, protocol), {
        minLength: 2,
        maxLength: limits.maxEvents,
      }),
      overlap: fc.option(
        fc.record({
          atMs: fc.integer({ min: 0, max: Math.floor(limits.windowMs / 2) }),
          replicas: fc
            .uniqueArray(fc.integer({ min: 0, max: limits.replicas - 1 }), {
              minLength: 2,
              maxLength: 2,
            })
            .map((pair) => pair as [number, number]),
        }),
        { freq: 3 },
      ),
    }),
  );
  const [generated] = fc.sample(arbitrary, { seed, numRuns: 1 });
  if (!generated) throw new Error(`no schedule for seed ${seed}`);
  const schedulers = generated.schedulers.map((s, i) => (i === 0 ? { ...s, atMs: 0 } : s));
  return {
    seed,
    ...generated,
    schedulers,
    events: [...generated.events].sort((a, b) => a.atMs - b.atMs),
  };
}

/** When the last fault of a schedule ends (ms after the start). */
export function faultsEndMs(schedule: Schedule): number {
  return Math.max(
    0,
    ...schedule.events.map(
      (e) =>
        e.atMs +
        ('durationMs' in e ? e.durationMs : 0) +
        ('restartAfterMs' in e ? e.restartAfterMs : 0),
    ),
  );
}

export function describeEvent(e: NemesisEvent): string {
  const at = `+${String(e.atMs).padStart(4)} ms`;
  switch (e.kind) {
    case 'kill-replica':
      return `${at} kill -9 replica ${e.replica}, restart after ${e.restartAfterMs} ms${e.offsetMs ? ` with its clock ${formatOffset(e.offsetMs)}` : ''}`;
    case 'restart-replica':
      return `${at} restart (SIGTERM) replica ${e.replica} with its clock ${formatOffset(e.offsetMs)}`;
    case 'kill-scheduler':
      return `${at} kill -9 a scheduler, new run-once against replica ${e.replica} after ${e.restartAfterMs} ms`;
    case 'db-partition':
      return `${at} replica ${e.replica} <-> database ${e.mode} for ${e.durationMs} ms`;
    case 'notifier-partition':
      return `${at} replica ${e.replica} <-> notifier ${e.mode} for ${e.durationMs} ms`;
    case 'notifier-slow':
      return `${at} notifier slow (${e.latencyMs} ms) for ${e.durationMs} ms`;
    case 'notifier-failing':
      return `${at} notifier failing (${e.failureRate * 100}%) for ${e.durationMs} ms`;
    case 'notifier-down':
      return `${at} notifier down (refuse) for ${e.durationMs} ms`;
    case 'kill-connections':
      return `${at} database connections KILLed every 50 ms for ${e.durationMs} ms`;
  }
}

export function describeSchedule(s: Schedule): string[] {
  return [
    `seed ${s.seed}: ${s.protocol}, ${s.orders} orders, notifier latency ${s.latencyMs} ms, run-once ${s.schedulers.map((r) => `against replica ${r.replica} at +${r.atMs} ms`).join(' and ')}`,
    ...(s.overlap
      ? [
          `+${String(s.overlap.atMs).padStart(4)} ms every 100 ids sent to replicas ${s.overlap.replicas.join(' and ')} at once (overlapping calls)`,
        ]
      : []),
    ...s.events.map(describeEvent),
  ];
}
