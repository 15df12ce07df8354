import { defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { SignedDecision } from '../kit';

/** An operator closing one item of the hands-on checklist: repaired by hand (`done`), or `waive`d with a reason. */
export const TaskDecision = z
  .object({
    action: z.enum(['done', 'waive']),
    host: z.string().trim().min(1, 'name the host, e.g. a-kiosk-05').max(128),
    by: z.string().trim().min(1, 'say who you are (--as USER or LIFEBOAT_USER)').max(64),
    reason: z.string().max(2000).optional(),
  })
  .refine((d) => d.action !== 'waive' || (d.reason ?? '').trim().length > 0, { message: 'a waiver needs a reason (--reason "...")', path: ['reason'] });
export type TaskDecision = z.infer<typeof TaskDecision>;

/** What an accepted decision changed, and how many items are still open. */
export interface TaskReceipt {
  host: string;
  status: 'done' | 'waived';
  open: number;
}

/** A signal, so `temporal workflow signal --name task --input '{"action":"done","host":"a-kiosk-05","by":"erin"}'` works. */
export const taskSignal = defineSignal<[SignedDecision | TaskDecision]>('task');
/** The same as an update, so `lifeboat task` learns at once whether it counted and, if not, why. */
export const taskUpdate = defineUpdate<TaskReceipt, [SignedDecision | TaskDecision]>('task-update');
