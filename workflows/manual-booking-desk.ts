import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import type { DuplicateCopy, ReconcilePass } from '../activities/manual-booking-types';
import { ErrorType, type RunbookRun } from '../kit';
import { proofOf, type VerifiedDecision } from '../kit/trust';
import { ConflictBook } from './manual-booking-conflicts';
import { ResolveRequest, resolveSignal, resolveUpdate, ResumeRequest, resumeSignal, resumeUpdate, type ResumeReceipt } from './manual-booking-messages';

/** The run's own messages (resume, resolve) and what it publishes about them. */
export class Desk<A> {
  readonly book = new ConflictBook();
  readonly duplicates: DuplicateCopy[] = [];
  resume: ResumeRequest | undefined;
  private database: { ready: boolean; detail: string; recheckSeconds: number } | undefined;
  private readonly passes: Omit<ReconcilePass, 'conflicts' | 'duplicates'>[] = [];
  private current = 'entering';

  constructor(private readonly run: RunbookRun<A>) {
    setHandler(resumeSignal, (raw) => this.run.asSignal('resume', raw, () => this.acceptResume(this.resumeRequest(raw))));
    setHandler(
      resumeUpdate,
      async (raw) => {
        const req = this.resumeRequest(raw);
        this.acceptResume(req);
        return this.resumeReceipt(req);
      },
      { validator: (raw) => this.throwIfRefused(this.resumeRefusal(this.resumeRequest(raw))) },
    );
    setHandler(resolveSignal, (raw) => this.run.asSignal('resolve', raw, () => this.resolve(this.resolveRequest(raw))));
    setHandler(resolveUpdate, (raw) => this.resolve(this.resolveRequest(raw)), {
      validator: (raw) => this.throwIfRefused(this.resolveRefusal(this.resolveRequest(raw))),
    });
  }

  /** A resume as its message carries it: signed and verified, with the role checked. */
  private resumeRequest(raw: unknown): Signed<ResumeRequest> {
    const verified = this.run.accept(['resume'], raw);
    this.run.requireRole('resume', verified.by);
    return { ...ResumeRequest.parse({ ...verified.body, by: verified.by }), verified };
  }

  private resolveRequest(raw: unknown): Signed<ResolveRequest> {
    const verified = this.run.accept(['resolve'], raw);
    this.run.requireRole('resolve', verified.by);
    return { ...ResolveRequest.parse({ ...verified.body, by: verified.by }), verified };
  }

  private resolveRefusal(req: ResolveRequest): string | undefined {
    return this.book.refusal(req);
  }

  phase(name: string, next?: string): void {
    this.current = name;
    this.run.report('phase', name);
    this.run.report('next', next ?? null);
  }

  databaseChecked(ready: boolean, detail: string, recheckSeconds: number): void {
    const changed = this.database?.detail !== detail;
    this.database = { ready, detail, recheckSeconds };
    if (ready) return;
    this.phase('waiting-for-database', `the run re-checks in ${recheckSeconds}s, backing off; nothing is applied until the database is writable`);
    this.run.report('waitingFor', `database: ${detail}`);
    if (changed) this.run.audit('lifeboat', 'resume-waiting', `database not ready: ${detail}`);
  }

  passDone(pass: ReconcilePass): void {
    const { conflicts, duplicates, ...counts } = pass;
    this.passes.push(counts);
    for (const d of duplicates) if (!this.duplicates.some((x) => x.itemId === d.itemId)) this.duplicates.push(d);
    for (const c of this.book.add(conflicts)) this.run.audit('lifeboat', 'conflict-found', `${c.id} ${c.kind}: ${c.detail}`);
    this.publish();
  }

  publish(): void {
    this.run.report('reconciliation', { passes: this.passes, duplicates: this.duplicates });
    this.run.report('conflicts', this.book.records);
  }

  private resumeRefusal(req: ResumeRequest): string | undefined {
    if (this.resume) return `the return was already asked for by ${this.resume.by}; the run is ${this.current}`;
    if (this.current !== 'holding') return `${req.by} cannot resume yet: the run is not holding in manual mode (it is ${this.current})`;
    return undefined;
  }

  private acceptResume(req: Signed<ResumeRequest>): void {
    this.throwIfRefused(this.resumeRefusal(req));
    const { verified, ...request } = req;
    if (verified) this.run.consume(verified);
    this.resume = request;
    this.run.audit(req.by, 'resume', 'return to normal asked for', req.comment, verified && proofOf(verified));
  }

  /** An unattended drill has nobody to type `resume`: its policy asks for the return, and the audit trail says so. */
  resumeByDrillPolicy(detail: string): void {
    if (this.resume) return;
    this.resume = { by: 'drill-policy' };
    this.run.audit('drill-policy', 'resume', detail);
  }

  /** Answers once the run has checked the database, so the person resuming learns at once whether it waits. */
  private async resumeReceipt(req: ResumeRequest): Promise<ResumeReceipt> {
    await condition(() => this.database !== undefined || this.run.status.abortRequested !== undefined);
    const db = this.database ?? { ready: false, detail: 'not checked: the run is aborting', recheckSeconds: 0 };
    return {
      by: req.by,
      databaseReady: db.ready,
      database: db.detail,
      next: db.ready
        ? `approve the return: lifeboat approve ${this.run.status.runId}`
        : `the run waits and re-checks the database in ${db.recheckSeconds}s, backing off; nothing is applied until it is writable`,
    };
  }

  private resolve(req: Signed<ResolveRequest>) {
    this.throwIfRefused(this.book.refusal(req));
    const { verified, ...request } = req;
    if (verified) this.run.consume(verified);
    const receipt = this.book.decide(request, new Date(Date.now()).toISOString());
    for (const r of receipt.resolved) {
      this.run.audit(req.by, 'conflict-resolved', `${r.id}: ${r.decision}${req.rule ? ` (rule ${req.rule})` : ''}`, req.comment, verified && proofOf(verified));
    }
    this.publish();
    return receipt;
  }

  private throwIfRefused(reason: string | undefined): void {
    if (reason) throw ApplicationFailure.nonRetryable(reason, ErrorType.DecisionRefused);
  }
}

type Signed<T> = T & { verified?: VerifiedDecision };
