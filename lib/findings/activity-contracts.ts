import type { DrillIssue } from './drill-findings';
import type { ArchivedClose, DrillEndedClaim } from './messages';
import type { FindingsSnapshot } from './record';

/** A drill's end as the worker read it from Temporal: a verified drill of this runbook and target, or why it is not one. */
export type DrillOutcome =
  | {
      ok: true;
      workflowId: string;
      temporalRunId: string;
      finishedAt: string;
      /** What it showed that must be fixed; empty when it passed. */
      issues: DrillIssue[];
      /** Its bundle's key in the archive, when the archive holds it. */
      evidence?: string;
    }
  | { ok: false; problem: string };

/** What the findings workflows ask of the worker (cli/findings/activities.ts). */
export interface FindingsActivities {
  /** The findings of the newest sealed findings bundle of this runbook and target, checked; null snapshot when there is none. */
  readSealedFindings(runbook: string, target: string): Promise<{ snapshot: FindingsSnapshot | null; from: string }>;
  /** Seals a snapshot (and the signed close that changed it, if one did) as the next link of its chain; returns its key. */
  archiveFindings(snapshot: FindingsSnapshot, workflowId: string, temporalRunId: string, close?: ArchivedClose): Promise<{ key: string }>;
  /** Reads a claimed drill run from Temporal: one of ours, a drill of this runbook and target, ended, and what it showed. */
  readDrillOutcome(runbook: string, target: string, claim: DrillEndedClaim): Promise<DrillOutcome>;
  /** The next finding number of the namespace, from its numberer (workflows/finding-numbers.ts). */
  allocateFindingNumber(): Promise<number>;
  /** The highest finding number any sealed findings bundle holds, 0 when none. */
  highestSealedFindingNumber(): Promise<number>;
  /** When this runbook has been not ready since, as its readiness schedule's evaluations show; null when it is ready. */
  notReadySince(runbook: string, target: string, scheduleId: string): Promise<{ since: string | null }>;
  /** The worker's settings for findings: seconds until an open finding is overdue, and a not-ready streak opens one. */
  findingsSettings(): Promise<{ deadlineSeconds: number; notReadySeconds: number }>;
}

/** What a scheduled readiness check asks of a worker that keeps findings: tell the findings workflow it found the runbook not ready. */
export interface ReadinessFindingsActivities {
  tellFindingsNotReady(args: { runbook: string; target: string; scheduleId: string }): Promise<void>;
}
