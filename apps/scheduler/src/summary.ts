import type { RunSummary } from './completion-job.js';

/** The human-readable end of a run, printed on stdout. */
export function formatSummary(s: RunSummary): string {
  const requirementLines = Object.entries(s.failedRequirements)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `    ${code}: ${n}`);
  return [
    `Run summary (${(s.durationMs / 1000).toFixed(1)} s, ${s.rounds} round${s.rounds === 1 ? '' : 's'})`,
    `  pending orders:        ${s.pending}`,
    `  completed:             ${s.completed}`,
    `  not found:             ${s.notFound}`,
    `  failed requirements:   ${s.failedRequirementOrders} orders, by reason:`,
    ...requirementLines,
    `  not notified:          ${s.notNotified}`,
    `  not updated:           ${s.notUpdated}`,
    `  server unreachable:    ${s.unreachable}`,
    `  outcome unknown:       ${s.outcomeUnknown} (left for the next run)`,
  ].join('\n');
}
