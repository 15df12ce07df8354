import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { SignedDecision } from '../../kit/trust';
import type { AuditFinding } from './record';

/**
 * The messages the findings workflow of a runbook and target accepts. Anyone with namespace access can send them, so
 * each is bounded by a zod schema and is only a claim: a drill's end is checked in Temporal before it opens anything,
 * and a close is a signed decision the workflow verifies itself.
 */

/** "This drill run ended": sent by the evidence archiver once it has archived the run. */
export const DrillEndedClaim = z.strictObject({
  workflowId: z.string().min(1).max(400),
  temporalRunId: z.string().min(1).max(200),
  /** The run's bundle key in the archive, when the archiver stored it. */
  evidence: z.string().min(1).max(1_000).optional(),
});
export type DrillEndedClaim = z.infer<typeof DrillEndedClaim>;

/** "This runbook has been not ready since": sent by a scheduled readiness check that found it not ready. */
export const NotReadyClaim = z.strictObject({
  /** The readiness schedule whose evaluations show it. */
  scheduleId: z.string().min(1).max(300),
});
export type NotReadyClaim = z.infer<typeof NotReadyClaim>;

/** What a close statement's body says: `lifeboat finding close` writes it, the workflow reads it. */
export const CloseBody = z.strictObject({
  action: z.literal('close-finding'),
  finding: z.string().regex(/^F-[0-9]{1,9}$/),
  comment: z.string().min(1).max(2_000),
  proof: z.enum(['drill', 'accept-risk']),
  /** For `drill`: the passing drill's workflow ID and Temporal run ID. */
  drill: z.string().min(1).max(400).optional(),
  drillRun: z.string().min(1).max(200).optional(),
});
export type CloseBody = z.infer<typeof CloseBody>;

/**
 * `closes.json` of a findings bundle: every signed close of the runbook and target's findings so far, as the findings
 * workflow verified it, so an auditor can check each signature again (`ssh-keygen -Y verify -n lifeboat`) from the archive.
 */
export const CLOSES_FILE = 'closes.json';
export const ArchivedClose = z.strictObject({ finding: z.string().regex(/^F-[0-9]{1,9}$/), decision: SignedDecision });
export type ArchivedClose = z.infer<typeof ArchivedClose>;
export const ArchivedCloses = z.array(ArchivedClose).max(10_000);

/** Who the findings workflow is, as a close statement must name it. */
export interface FindingsIdentity {
  namespace: string;
  workflowId: string;
  /** Temporal's first run ID of the chain: a statement for a workflow started afresh under the same ID counts nowhere. */
  runId: string;
  inputDigest: string;
}

/** What `lifeboat findings` reads. */
export interface FindingsView {
  runbook: string;
  target: string;
  identity: FindingsIdentity;
  findings: AuditFinding[];
  /** Messages refused (forged claims, bad signatures): counted, the last one's reason kept. */
  refused: { count: number; lastReason?: string; lastAt?: string };
  /** Where the findings were read from when this run of the workflow started. */
  restoredFrom: string;
}

export const drillEndedSignal = defineSignal<[DrillEndedClaim]>('drillEnded');
export const notReadySignal = defineSignal<[NotReadyClaim]>('notReady');
/** A close as a signal, for the stock CLI: a refusal is only counted in the view, since a signal cannot answer. */
export const closeFindingSignal = defineSignal<[SignedDecision]>('closeFinding');
/** A close as an update, what `lifeboat finding close` sends: the closed finding comes back, or the refusal. */
export const closeFindingUpdate = defineUpdate<AuditFinding, [SignedDecision]>('close');
export const findingsQuery = defineQuery<FindingsView>('findings');
