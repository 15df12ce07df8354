import type { PlanMemberRow } from './plan-report-types';

/** Seconds as the plan report writes them, `-` when unknown. */
export const seconds = (v: number | undefined) => (v === undefined ? '-' : `${v}s`);
/** A moment as an offset from the plan run's start, `-` when unknown. */
export const offset = (ms: number | undefined) => (ms === undefined ? '-' : `+${(ms / 1000).toFixed(1)}s`);

/** The members table's columns, the same in every format of the plan report. */
export const memberColumns = ['member', 'run', 'after', 'state', 'from', 'to', 'work', 'waiting for approvers', 'waiting for an operator', 'RTO', 'RPO'];

/** One member's cells under {@link memberColumns}, as plain text each format then escapes its own way. */
export function memberCells(row: PlanMemberRow): string[] {
  return [
    row.member,
    row.runId,
    row.after.join(', ') || '-',
    row.state,
    offset(row.startMs),
    offset(row.endMs),
    seconds(row.totals.workSeconds),
    seconds(row.totals.gateWaitSeconds),
    seconds(row.totals.operatorWaitSeconds),
    seconds(row.rtoSeconds),
    row.rpoSeconds === undefined ? '-' : `${row.rpoSeconds}s${row.rpoWrites !== undefined ? ` (${row.rpoWrites} writes)` : ''}`,
  ];
}
