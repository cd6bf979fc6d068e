/**
 * One vocabulary: for every outcome of @ocs/domain's table a run can meet, the run's summary,
 * the run it stores (`runs.end`) and the printed summary all count it, under the same key.
 * (The server's metrics and stored calls: apps/server/test/outcomes.test.ts.)
 */
import { type Outcome, outcomeLabel, outcomes } from '@ocs/domain';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServerClient } from '../src/client.js';
import { CompletionJob, type Progress } from '../src/completion-job.js';
import { formatSummary } from '../src/summary.js';
import {
  type Outcome as Script,
  type StubServer,
  schedulerToken,
  startStubServer,
} from './stub-server.js';

let server: StubServer;
beforeEach(async () => {
  server = await startStubServer();
});
afterEach(async () => {
  await server.close();
});

const quiet: Progress = { start() {}, advance() {}, stop() {} };

function job(url = server.url, runDeadlineMs?: number) {
  return new CompletionJob(
    createServerClient(url, schedulerToken),
    {
      pageSize: 100,
      batchSize: 1,
      batchConcurrency: 1,
      retryAttempts: 0,
      retryInitialDelayMs: 1,
      retryMaxDelayMs: 1,
      lockTtlMs: 30_000,
      ...(runDeadlineMs === undefined ? {} : { runDeadlineMs }),
    },
    quiet,
    pino({ level: 'silent' }),
  );
}

/** How the stub is set up so that order 1 ends with each outcome. */
const setups: Record<Outcome, (() => void) | null> = {
  completed: () => server.addOrders([1], 'complete'),
  finished_elsewhere: () => server.addOrders([1], 'finishedElsewhere'),
  not_found: () => {
    server.phantomIds = [1];
  },
  failed_requirements: () =>
    server.addOrders([1], { requirements: ['ORDER.TOO_RECENT'] } as Script),
  not_notified: () => server.addOrders([1], 'notNotified'),
  not_updated: () => server.addOrders([1], 'notUpdated'),
  claimed_elsewhere: () => server.addOrders([1], 'claimedElsewhere'),
  request_failed: () => {
    server.addOrders([1], 'complete');
    server.failCompletes = ['INTERNAL_SERVER_ERROR'];
  },
  // A server that refuses the batch's connection cannot record the run either: the summary
  // counts it (apps/scheduler/test/deadlines.test.ts and completion-job.test.ts).
  unreachable: null,
  // The run's deadline passes while order 1's batch hangs: order 2 is never sent.
  not_tried: () => {
    server.addOrders([1, 2], 'complete');
    server.gate = new Promise(() => {});
  },
};

describe('every outcome is counted under its key', () => {
  it.each(outcomes.filter((o) => setups[o] !== null))('%s', async (outcome) => {
    setups[outcome]?.();
    const deadline = outcome === 'not_tried' ? 500 : undefined;
    const summary = await job(server.url, deadline).run({ triggeredBy: 'run-once' });
    // The summary: that outcome alone (the hung batch of `not_tried` is a request failed).
    expect(summary.counts[outcome]).toBe(1);
    expect(Object.values(summary.counts).reduce((a, b) => a + b, 0)).toBe(
      outcome === 'not_tried' ? 2 : 1,
    );
    // The stored run.
    const [stored] = server.runs;
    expect(stored?.id).toBe(summary.runId);
    expect((stored?.end?.counts as Record<string, number> | undefined)?.[outcome]).toBe(1);
    // The printed summary names it by its label.
    expect(formatSummary(summary)).toMatch(new RegExp(`${outcomeLabel(outcome)}:\\s+1\\b`, 'i'));
  });
});
