import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { GateStatus, InterventionAction, RunState, RunStatus } from './status';

const person = z.string().trim().min(1, 'say who you are (--as USER or LIFEBOAT_USER)');

/** An approval or rejection. `gate` is optional and, when given, must name the open gate. */
export const GateDecision = z.object({
  by: person,
  comment: z.string().optional(),
  gate: z.string().optional(),
});
export type GateDecision = z.infer<typeof GateDecision>;

/** An operator's answer to a step that keeps failing, or an abort at any time. */
export const OperatorDecision = z.object({
  action: z.enum(['retry', 'skip', 'abort'] satisfies InterventionAction[]),
  by: person,
  reason: z.string().optional(),
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
  action: InterventionAction;
  step?: string;
  state: RunState;
}

/** The run's live status and audit trail. */
export const statusQuery = defineQuery<RunStatus>('status');

/** Signals, so the stock `temporal workflow signal --name approve --input '{"by":"bob"}'` works. */
export const approveSignal = defineSignal<[GateDecision]>('approve');
export const rejectSignal = defineSignal<[GateDecision]>('reject');
export const interveneSignal = defineSignal<[OperatorDecision]>('intervene');

/** Updates, so the `lifeboat` CLI learns at once whether a decision was accepted and, if not, why. */
export const approveUpdate = defineUpdate<GateReceipt, [GateDecision]>('approve-update');
export const rejectUpdate = defineUpdate<GateReceipt, [GateDecision]>('reject-update');
export const interveneUpdate = defineUpdate<OperatorReceipt, [OperatorDecision]>('intervene-update');
