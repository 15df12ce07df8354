import { defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { SignedDecision } from '../kit/trust';

const person = z.string().trim().min(1, 'say who you are (--as USER or LIFEBOAT_USER)').max(64);

/** Asks a run holding in manual mode to start the return to normal. */
export const ResumeRequest = z.object({ by: person, comment: z.string().max(2000).optional() });
export type ResumeRequest = z.infer<typeof ResumeRequest>;

/**
 * A decision on a reconciliation conflict: one conflict with a decision, or a rule (`earliest-wins`) for one
 * conflict or, without `conflict`, for every open conflict the rule applies to.
 */
export const ResolveRequest = z
  .object({
    by: person,
    conflict: z.string().trim().min(1).max(32).optional(),
    decision: z.enum(['keep-database', 'keep-ledger', 'keep-both', 'discard']).optional(),
    rule: z.literal('earliest-wins').optional(),
    comment: z.string().max(2000).optional(),
  })
  .refine((r) => (r.decision === undefined) !== (r.rule === undefined), {
    message: 'give either a decision (--keep/--discard) or a rule (--rule earliest-wins), not both',
  })
  .refine((r) => r.rule !== undefined || r.conflict !== undefined, { message: 'a decision needs the conflict id, such as c1', path: ['conflict'] });
export type ResolveRequest = z.infer<typeof ResolveRequest>;

/** What `lifeboat resume` learns: whether the database is ready now, and what the run does next. */
export interface ResumeReceipt {
  by: string;
  databaseReady: boolean;
  database: string;
  next: string;
}

/** What `lifeboat resolve` learns: the conflicts it decided and how many are still open. */
export interface ResolveReceipt {
  resolved: { id: string; decision: string }[];
  open: number;
}

/** Signals, so `temporal workflow signal --name resume --input '{"by":"dave"}'` works without the Lifeboat CLI. */
export const resumeSignal = defineSignal<[SignedDecision | ResumeRequest]>('resume');
export const resolveSignal = defineSignal<[SignedDecision | ResolveRequest]>('resolve');

/** Updates, so the Lifeboat CLI gets a receipt or the reason for a refusal. */
export const resumeUpdate = defineUpdate<ResumeReceipt, [SignedDecision | ResumeRequest]>('resume-update');
export const resolveUpdate = defineUpdate<ResolveReceipt, [SignedDecision | ResolveRequest]>('resolve-update');
