import { type Outcome, outcomeLabel, outcomes, outcomeTable } from '@ocs/domain';
import type { RunSummary } from './completion-job.js';

/** "N (oldest claim 12.3 s old)", or why the number is unknown. */
function heldLine(s: RunSummary): string {
  if (s.heldByOtherCalls === null) return 'unknown (the server could not say)';
  if (s.heldByOtherCalls === 0 || s.oldestClaimAgeMs === null) return String(s.heldByOtherCalls);
  return `${s.heldByOtherCalls} (oldest claim ${(s.oldestClaimAgeMs / 1000).toFixed(1)} s old; retried by the next run)`;
}

/** The human-readable end of a run, printed on stdout. */
export function formatSummary(s: RunSummary): string {
  // One line per outcome of @ocs/domain's table, under its label: the final ones, then the
  // retryable ones as what the run left undone. Values line up after the longest name.
  const names = [
    ...outcomes.map((o) => `    ${outcomeLabel(o).toLowerCase()}:`),
    '  held by other calls:',
  ];
  const width = Math.max(...names.map((n) => n.length)) + 1;
  const row = (name: string, value: string | number) => `${name.padEnd(width)}${value}`;
  const line = (indent: string, o: Outcome, extra = '') =>
    row(`${indent}${outcomeLabel(o).toLowerCase()}:`, `${s.counts[o]}${extra}`);
  const requirementLines = Object.entries(s.failedRequirements)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `    ${code}: ${n}`);
  return [
    `Run summary (${(s.durationMs / 1000).toFixed(1)} s, ${s.rounds} round${s.rounds === 1 ? '' : 's'})`,
    ...(s.runId ? [row('  run:', s.runId)] : []),
    row('  pending orders:', s.pending),
    ...outcomes
      .filter((o) => !outcomeTable[o].retryable)
      .flatMap((o) =>
        o === 'failed_requirements'
          ? [line('  ', o, ' orders, by reason:'), ...requirementLines]
          : [line('  ', o)],
      ),
    row('  left undone:', `${s.leftUndone} (retried by the next run), of which:`),
    ...outcomes.filter((o) => outcomeTable[o].retryable).map((o) => line('    ', o)),
    row('  held by other calls:', heldLine(s)),
    ...(s.heldForOperator
      ? [row('  held for an operator:', `${s.heldForOperator} (release them in the admin app)`)]
      : []),
    ...(s.lockExpired
      ? [
          '  stopped sending: the single-runner lock could not be renewed within its lease' +
            (s.morePending ? '; more pending orders were not read' : ''),
        ]
      : []),
    ...(s.deadlineExceeded
      ? [
          `  stopped by the run deadline (RUN_DEADLINE_MS)${
            s.morePending ? '; more pending orders were not read' : ''
          }`,
        ]
      : []),
  ].join('\n');
}
