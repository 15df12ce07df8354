import { z } from 'zod';

/**
 * An audit finding: something a drill or a readiness check showed that must be fixed and proven fixed. Not to be
 * confused with `EvidenceFinding` (lib/evidence/findings.ts), which is a bundle of the archive that does not verify.
 *
 * Findings live in Temporal, one long-lived workflow per runbook and target, and are archived like runs: each change
 * writes a sealed bundle holding `findings.json`, a {@link FindingsSnapshot}. The evidence pack reads them from there.
 */

const isoTime = z.iso.datetime({ offset: true, message: 'an ISO 8601 time such as 2026-12-05T03:00:00Z' });

/** Why a finding was opened. */
export const FindingReason = z.enum([
  /** A drill ended failed or aborted. */
  'drill-failed',
  /** A drill succeeded but missed its RTO or RPO. */
  'objective-missed',
  /** A drill needed an operator (a retry, a skip, a hands-on task waived). */
  'operator-needed',
  /** An undo after an abort failed. */
  'undo-failed',
  /** A readiness check stayed not ready for more than a day. */
  'not-ready',
]);
export type FindingReason = z.infer<typeof FindingReason>;

/** How a finding was closed: a later passing drill of the same runbook and target, or an accepted risk. */
export const FindingProof = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('passing-drill'),
    /** The drill's workflow ID and Temporal run ID. */
    runId: z.string().min(1).max(400),
    temporalRunId: z.string().min(1).max(200),
    finishedAt: isoTime,
  }),
  z.strictObject({
    kind: z.literal('risk-accepted'),
    /** Who accepted the risk (a signed decision of their own), and the roster group that let them. */
    by: z.string().min(1).max(64),
    group: z.string().min(1).max(64),
    at: isoTime,
    comment: z.string().min(1).max(2_000),
  }),
]);
export type FindingProof = z.infer<typeof FindingProof>;

export const AuditFinding = z.strictObject({
  /** Short and unique in the namespace, such as `F-12`: what `lifeboat finding close` takes. */
  id: z.string().regex(/^F-[0-9]{1,9}$/, 'F- and a number, such as F-12'),
  runbook: z.string().min(1).max(200),
  target: z.string().min(1).max(200),
  reason: FindingReason,
  /** What happened, in words an auditor reads. */
  what: z.string().min(1).max(2_000),
  openedAt: isoTime,
  /** After this, an open finding makes the runbook not ready (30 days after opening by default). */
  deadline: isoTime,
  /** The run that showed it (absent for a readiness finding). */
  run: z.strictObject({ runId: z.string().min(1).max(400), temporalRunId: z.string().min(1).max(200) }).optional(),
  /** The objective missed, for `objective-missed`. */
  objective: z.strictObject({ name: z.enum(['rto', 'rpo']), targetSeconds: z.number().nonnegative(), achievedSeconds: z.number().nonnegative() }).optional(),
  /** Where the evidence is: the run's bundle key in the archive, when it was archived. */
  evidence: z.string().min(1).max(1_000).optional(),
  state: z.enum(['open', 'closed']),
  closed: z
    .strictObject({
      /** The operator who closed it, by a signed decision. */
      by: z.string().min(1).max(64),
      at: isoTime,
      comment: z.string().min(1).max(2_000),
      proof: FindingProof,
    })
    .optional(),
});
export type AuditFinding = z.infer<typeof AuditFinding>;

/** The `findings.json` of a findings bundle: every finding of one runbook and target, open and closed, at `at`. */
export const FindingsSnapshot = z.strictObject({
  lifeboat: z.literal('findings/v1'),
  runbook: z.string().min(1).max(200),
  target: z.string().min(1).max(200),
  at: isoTime,
  findings: z.array(AuditFinding).max(10_000),
});
export type FindingsSnapshot = z.infer<typeof FindingsSnapshot>;

/** The name of the file a findings bundle holds. */
export const FINDINGS_FILE = 'findings.json';
