/**
 * A scheduler run: what one scheduler does under the single-runner lock, from a cron tick,
 * `run-once`, or a request from the admin app (a run, or a retry of another run's failures).
 * It is the operator's unit of work; each of its batches is one completion call.
 */
import { z } from 'zod';
import { outcomeCountsSchema, outcomeSchema } from './outcomes.js';

/** The one lease every scheduler competes for, so two never work the same run. */
export const schedulerLockName = 'scheduler';

export const runTriggerSchema = z.enum(['cron', 'run-once', 'admin', 'retry']);
export type RunTrigger = z.infer<typeof runTriggerSchema>;

export const runStatusTable = {
  requested: { label: 'Waiting for a scheduler', ended: false },
  running: { label: 'Running', ended: false },
  finished: { label: 'Finished', ended: true },
  finished_with_orders_left: { label: 'Finished with orders left', ended: true },
  failed: { label: 'Failed', ended: true },
  /** Its scheduler died: the run was `running` when its lock's lease ended. */
  abandoned: { label: 'Abandoned', ended: true },
} as const;
export type RunStatus = keyof typeof runStatusTable;
export const runStatusSchema = z.enum(Object.keys(runStatusTable) as [RunStatus, ...RunStatus[]]);

/** What a run has done so far (or in all, once it ended). */
export const runProgressSchema = z.object({
  /** Orders the run expects to handle (counted when it starts); null when unknown. */
  expected: z.number().int().nonnegative().nullable().default(null),
  /** Ids the run has read so far (grows while pages stream in). */
  pending: z.number().int().nonnegative(),
  /** Ids with an outcome so far. */
  settled: z.number().int().nonnegative(),
  /** Each id's latest outcome in this run, counted by outcome. */
  counts: outcomeCountsSchema,
  /** Requirement failures by code, e.g. `{ 'ORDER.TOO_RECENT': 3 }`. */
  failedRequirements: z.record(z.string(), z.number().int().nonnegative()).default({}),
});
export type RunProgress = z.infer<typeof runProgressSchema>;

export const schedulerRunSchema = runProgressSchema.extend({
  /** Sortable by time, so cursors can page by it. */
  id: z.string().min(1),
  triggeredBy: runTriggerSchema,
  status: runStatusSchema,
  requestedAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  /** The last report of the run's scheduler. */
  updatedAt: z.date(),
  /** The scheduler instance that held the lock. */
  holder: z.string().nullable(),
  /** A retry: the run whose failures it retries, and the group (null: every retryable one). */
  retryOf: z.string().nullable(),
  retryOutcome: outcomeSchema.nullable(),
  retryReason: z.string().nullable(),
  /** Why a failed run failed; why a run left orders (held claims, the deadline, …). */
  error: z.string().nullable(),
  notes: z.array(z.string()).default([]),
});
export type SchedulerRun = z.infer<typeof schedulerRunSchema>;

export interface RunRequest {
  triggeredBy: 'admin' | 'retry';
  retryOf?: string | null;
  retryOutcome?: z.infer<typeof outcomeSchema> | null;
  retryReason?: string | null;
}

export interface RunEnd extends RunProgress {
  status: Exclude<RunStatus, 'requested' | 'running' | 'abandoned'>;
  error?: string | null;
  notes?: string[];
}

/** What a scheduler says of itself with every heartbeat. */
export const schedulerReportSchema = z.object({
  instance: z.string().min(1).max(128),
  mode: z.enum(['daemon', 'run-once']),
  cron: z.string().max(128).nullable(),
  timezone: z.string().max(64).nullable(),
  nextRunAt: z.date().nullable(),
  /** How often it reports: it counts as alive for three of these. */
  heartbeatEveryMs: z.number().int().min(100).max(3_600_000),
});
export type SchedulerReport = z.infer<typeof schedulerReportSchema>;

export interface SchedulerInstance extends SchedulerReport {
  startedAt: Date;
  heartbeatAt: Date;
  /** Its last heartbeat is within three of its intervals, in the database's clock. */
  alive: boolean;
}

/** Failures of a run (or of every run) grouped by outcome and reason code. */
export interface FailureGroup {
  outcome: z.infer<typeof outcomeSchema>;
  reasonCode: string | null;
  /** Orders in the group. */
  count: number;
  /** Of those, still SUBMITTED now (what a retry would try). */
  stillPending: number;
  firstSeen: Date;
  lastSeen: Date;
  exampleIds: number[];
  retryable: boolean;
  /** Across runs: how many runs had it. */
  runs: number;
}
