import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { SignedDecision } from './decisions/statement';
import type { GateStatus, InterventionAction, RunState, RunStatus } from './status';

export { SignedDecision };

const person = z.string().trim().min(1, 'say who you are (--as USER or LIFEBOAT_USER)').max(64, 'a name is at most 64 characters');

/** An approval or rejection. `gate` is optional and, when given, must name the open gate. */
export const GateDecision = z.object({
  by: person,
  comment: z.string().max(2000, 'a comment is at most 2000 characters').optional(),
  gate: z.string().max(64).optional(),
});
export type GateDecision = z.infer<typeof GateDecision>;

/** An operator's answer to a step that keeps failing, an abort at any time, or a cancellation (an abort by another name). */
export const OperatorDecision = z.object({
  action: z.enum(['retry', 'skip', 'abort', 'cancel'] satisfies (InterventionAction | 'cancel')[]),
  by: person,
  reason: z.string().max(2000, 'a reason is at most 2000 characters').optional(),
});
export type OperatorDecision = z.infer<typeof OperatorDecision>;

/** What an accepted approval or rejection changed. */
export interface GateReceipt {
  gate: string;
  status: GateStatus;
  approvals: number;
  quorum: number;
}

/** What an accepted operator decision changed. */
export interface OperatorReceipt {
  action: InterventionAction | 'cancel';
  step?: string;
  state: RunState;
}

/** The run's live status and audit trail. */
export const statusQuery = defineQuery<RunStatus>('status');

/**
 * A decision as a message carries it. A run counts only a signed statement ({@link SignedDecision}) and refuses the
 * unsigned shapes; they stay in the messages' types for clients that sign on the way out (the tests' and benchmarks'
 * signing interceptor turns `{ by, … }` into a statement signed with that person's key).
 */
export type DecisionMessage = SignedDecision | GateDecision | OperatorDecision;

/**
 * Signals, so the stock `temporal workflow signal --name approve --input '{"statement":"…","signature":"…"}'` works
 * with a statement printed by `lifeboat approve --print-statement` and signed with `ssh-keygen -Y sign -n lifeboat`.
 */
export const approveSignal = defineSignal<[SignedDecision | GateDecision]>('approve');
export const rejectSignal = defineSignal<[SignedDecision | GateDecision]>('reject');
export const interveneSignal = defineSignal<[SignedDecision | OperatorDecision]>('intervene');
/**
 * A recovery plan's abort, passed on by the plan to a member it started: the signed abort of the plan's run, as the
 * plan took it. The member checks it itself (its plan's run, a person its own runbook lets abort) before it aborts.
 */
export const planAbortSignal = defineSignal<[SignedDecision]>('plan-abort');

/** Updates, so the `lifeboat` CLI learns at once whether a decision was accepted and, if not, why. */
export const approveUpdate = defineUpdate<GateReceipt, [SignedDecision | GateDecision]>('approve-update');
export const rejectUpdate = defineUpdate<GateReceipt, [SignedDecision | GateDecision]>('reject-update');
export const interveneUpdate = defineUpdate<OperatorReceipt, [SignedDecision | OperatorDecision]>('intervene-update');
