import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import { ErrorType } from '../kit';
import type { DrillEndedClaim, FindingsView, NotReadyClaim } from '../lib/findings/messages';
import type { AuditFinding } from '../lib/findings/record';

/** A claim to check: a drill ended, or readiness stays not ready. Carried over when not yet checked. */
export type FindingsClaim = { drill: DrillEndedClaim } | { notReady: NotReadyClaim };
/** What waits for the findings workflow: a claim, or a close (with its update's answer, when it came as an update). */
export type FindingsWork = FindingsClaim | { close: unknown; answer?: (result: AuditFinding | Error) => void };

/** Waiting work beyond this is refused (a flood of forged claims must not grow the workflow's state without bound). */
export const MAX_WAITING = 100;

/**
 * What the findings workflow has been sent and not yet handled, in arrival order, and what it refused. Messages are only
 * queued here, each bounded by its schema; the workflow's loop handles them one at a time, so changes never interleave.
 */
export class FindingsInbox {
  readonly waiting: FindingsWork[];
  readonly refused: FindingsView['refused'] = { count: 0 };

  constructor(pending: readonly FindingsClaim[] = []) {
    this.waiting = [...pending];
  }

  /** Counts a refused message and keeps the last reason, for `lifeboat findings` to show. */
  refuse(reason: string): void {
    this.refused.count++;
    this.refused.lastReason = reason.slice(0, 300);
    this.refused.lastAt = new Date().toISOString();
  }

  enqueue(work: FindingsWork): void {
    if (this.waiting.length < MAX_WAITING) this.waiting.push(work);
    else this.refuse('too many messages waiting; this one was dropped');
  }

  /** A signal handler that queues a message its schema accepts, and counts any other as refused. */
  accept<T>(schema: z.ZodType<T>, wrap: (claim: T) => FindingsClaim): (message: unknown) => void {
    return (message) => {
      const claim = schema.safeParse(message);
      if (claim.success) this.enqueue(wrap(claim.data));
      else this.refuse(`malformed message: ${claim.error.issues[0]?.path.join('.') || 'message'} ${claim.error.issues[0]?.message}`);
    };
  }

  /** A close sent as an update: answered once the loop has handled it. */
  closeRequest(message: unknown): Promise<AuditFinding> {
    return new Promise<AuditFinding>((resolve, reject) => {
      if (this.waiting.length >= MAX_WAITING) return reject(ApplicationFailure.nonRetryable('too many messages waiting; try again', ErrorType.DecisionRefused));
      this.waiting.push({ close: message, answer: (result) => (result instanceof Error ? reject(result) : resolve(result)) });
    });
  }

  /** The first waiting close, if any. */
  nextClose(): FindingsWork | undefined {
    return this.waiting.find((w) => 'close' in w);
  }

  take(work: FindingsWork): void {
    this.waiting.splice(this.waiting.indexOf(work), 1);
  }

  /** The claims still waiting, to carry over. */
  claims(): FindingsClaim[] {
    return this.waiting.filter((w): w is FindingsClaim => !('close' in w)).slice(0, MAX_WAITING);
  }
}
