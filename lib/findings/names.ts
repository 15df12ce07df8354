import { digestOf } from '../../kit/trust';

/**
 * The names findings live under in Temporal and in the evidence archive. Pure, so the workflow bundle, the worker's
 * activities and the CLI all derive them the same way.
 */

/** The workflow type of the findings workflow of one runbook and target (workflows/runbook-findings.ts). */
export const FINDINGS_WORKFLOW_TYPE = 'runbookFindings';
/** The workflow type of the namespace's finding numberer (workflows/finding-numbers.ts). */
export const FINDING_NUMBERS_TYPE = 'findingNumbers';
/** The numberer's workflow ID: fixed, so a namespace has one, and Temporal runs it once. */
export const FINDING_NUMBERS_ID = 'findings/numbers';

/** Days an open finding may stay open before it makes its runbook not ready, unless the worker says otherwise. */
export const DEFAULT_FINDING_DEADLINE_DAYS = 30;

/** The findings workflow's ID: `findings/region-failover/booking`, one per runbook and target. */
export function findingsWorkflowId(runbook: string, target: string): string {
  return `findings/${runbook}/${target}`;
}

/**
 * The `runbook` a findings bundle's manifest names: `findings/<runbook>`. Findings bundles then form a hash chain of
 * their own per runbook and target, written by the one findings workflow, apart from the run bundles' chain (which the
 * evidence archiver writes): two writers never race for one chain's `previous`. The snapshot inside names the runbook.
 */
export function findingsChainRunbook(runbook: string): string {
  return `findings/${runbook}`;
}

/**
 * What a close statement names as the run's input digest: the findings workflow's identity, not its input (which
 * changes each time it carries itself over), so a statement signed for one runbook and target counts nowhere else.
 */
export function findingsIdentityDigest(runbook: string, target: string): string {
  return digestOf({ findings: { runbook, target } });
}

/** What separates a refusal's problem from its fix in the message a refused close carries back to the CLI. */
export const FIX = ' — fix: ';

/** `F-12` from 12. */
export function findingId(n: number): string {
  return `F-${n}`;
}

/** 12 from `F-12`, or undefined. */
export function findingNumber(id: string): number | undefined {
  const match = /^F-([0-9]{1,9})$/.exec(id);
  return match ? Number(match[1]) : undefined;
}
