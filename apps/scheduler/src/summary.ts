import type { RunSummary } from './completion-job.js';

/** "N (oldest claim 12.3 s old)", or why the number is unknown. */
function heldLine(s: RunSummary): string {
  if (s.heldByOtherCalls === null) return 'unknown (the server could not say)';
  if (s.heldByOtherCalls === 0 || s.oldestClaimAgeMs === null) return String(s.heldByOtherCalls);
  return `${s.heldByOtherCalls} (oldest claim ${(s.oldestClaimAgeMs / 1000).toFixed(1)} s old; retried by the next run)`;
}

/** The human-readable end of a run, printed on stdout. */
export function formatSummary(s: RunSummary): string {
  const requirementLines = Object.entries(s.failedRequirements)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `    ${code}: ${n}`);
  return [
    `Run summary (${(s.durationMs / 1000).toFixed(1)} s, ${s.rounds} round${s.rounds === 1 ? '' : 's'})`,
    `  pending orders:        ${s.pending}`,
    `  completed:             ${s.completed}`,
    `  finished elsewhere:    ${s.finishedElsewhere}`,
    `  not found:             ${s.notFound}`,
    `  failed requirements:   ${s.failedRequirementOrders} orders, by reason:`,
    ...requirementLines,
    `  left undone:           ${s.leftUndone} (retried by the next run), of which:`,
    `    not notified:        ${s.notNotified}`,
    `    not updated:         ${s.notUpdated}`,
    `    claimed elsewhere:   ${s.claimedElsewhere}`,
    `    request failed:      ${s.requestFailed}`,
    `    server unreachable:  ${s.unreachable}`,
    `    not tried:           ${s.notTried}`,
    `  held by other calls:   ${heldLine(s)}`,
    ...(s.heldForOperator
      ? [`  held for an operator:  ${s.heldForOperator} (release them in the admin app)`]
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
