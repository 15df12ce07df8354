import { ApplicationFailure, condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { BookingMode } from '../activities/booking';
import type { EstateActivities } from '../activities/estate';
import type { KitActivities } from '../activities/kit-types';
import type { ManualBookingActivities } from '../activities/manual-booking';
import type { DuplicateCopy, HoldingSnapshot, LedgerAccounting, ReconcilePass, RegionName } from '../activities/manual-booking-types';
import { manualBookingMode as runbook, type ManualBookingModeInput } from '../runbooks/manual-booking-mode';
import { ErrorType, RunAborted } from './kit/errors';
import type { GateSpec } from './kit/definition';
import type { Run } from './kit/run';
import { runRunbook, type RunRequest } from './kit/runbook-run';
import type { RunResult } from './kit/status';
import { ConflictBook, type ConflictRecord } from './manual-booking-conflicts';
import { ResolveRequest, resolveSignal, resolveUpdate, ResumeRequest, resumeSignal, resumeUpdate, type ResumeReceipt } from './manual-booking-messages';

type Activities = KitActivities & EstateActivities & ManualBookingActivities;

const p = runbook.procedure;

/** Small reads outside the procedure's steps (holding refreshes, database rechecks), so status does not grow a step each time. */
const probe = proxyActivities<ManualBookingActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3, initialInterval: '2 seconds' } });

/** Reconciliation retries as the same activity, so a new attempt after a worker crash gets the last heartbeat. */
const reconciler = proxyActivities<ManualBookingActivities>({
  startToCloseTimeout: p.reconcile.timeout,
  heartbeatTimeout: p.reconcile.heartbeatTimeout,
  retry: { maximumAttempts: 5, initialInterval: '2 seconds', maximumInterval: '30 seconds' },
});

/** What the run reports when booking is back to normal. */
export interface ManualBookingReport {
  region: RegionName;
  mode: ManualBookingModeInput['mode'];
  enteredAt: string;
  returnedAt: string;
  timeInModeSeconds: number;
  timeInMode: string;
  ledger: LedgerAccounting;
  duplicates: DuplicateCopy[];
  conflicts: ConflictRecord[];
  onlineCheck: { seat: string };
}

/** Switch stations to the counter ledger, hold until resumed, reconcile every entry once, return to normal. */
export async function manualBookingMode(request: RunRequest<ManualBookingModeInput>): Promise<RunResult<ManualBookingReport>> {
  return runRunbook(runbook, request, async (run: Run<Activities>, input) => {
    const { workflowId, runId } = workflowInfo();
    const desk = new Desk(run);
    const approval = (gate: GateSpec): GateSpec => ({ ...gate, policy: { ...gate.policy, approvers: { groups: [input.approvers] } } });
    const notice = (title: string, text: string) => ({ kind: 'info' as const, runId: workflowId, runbook: runbook.id, target: input.service, state: run.status.state, title, text, audience: input.stations });

    // Entering the mode.
    const { region, how } = await run.step(p.findRegion, (a) => a.bookingRegionInUse(input.region ? { region: input.region } : {}));
    run.report('region', `${region} (${how})`);
    await run.gate(approval(p.approveEntry));
    let previous: BookingMode = 'normal';
    await run.step(
      p.switchMode,
      async (a) => {
        const switched = await a.setMode({ region, mode: input.mode });
        previous = switched.previous;
        return switched;
      },
      { undo: (a) => a.setMode({ region, mode: previous }) },
    );
    const enteredAt = Date.now();
    const refused = await run.step(p.verifyRefused, (a) => a.verifyOnlineRefused({ region, mode: input.mode, idempotencyKey: `lifeboat-refusal-check:${workflowId}:${runId}` }));
    run.report('onlineRefusal', refused.refusedWith);
    await run.step(p.verifyLedger, (a) => a.verifyLedgerRecords({ region, idempotencyKey: `lifeboat-ledger-check:${workflowId}:${runId}` }));
    await run.step(p.notifyStations, (a) =>
      a.notify(notice(`Booking is in ${input.mode} mode: book at the counter`, `${input.incident}: ${input.reason}. Online booking in region ${region} is refused. Record every booking in the offline ledger with its ticket number as the idempotency key; nothing is lost, each entry is applied once when booking returns.`)),
    );

    // Holding: no polling; a coarse timer refreshes what status shows until someone resumes.
    desk.phase('holding', `lifeboat resume ${workflowId} --as <you>`);
    const holding = (snapshot: HoldingSnapshot) =>
      run.report('holding', { region, since: new Date(enteredAt).toISOString(), timeInMode: since(enteredAt), ...snapshot });
    while (!desk.resume && !run.status.abortRequested) {
      holding(await probe.holdingSnapshot({ region }));
      await condition(() => desk.resume !== undefined || run.status.abortRequested !== undefined, input.refreshMinutes * 60_000);
    }
    abortIfRequested(run);

    // The return: a writable database first (waiting, never half-applying), then a person approves.
    for (;;) {
      const snapshot = await probe.holdingSnapshot({ region });
      holding(snapshot);
      const ready = snapshot.database.reachable && snapshot.database.writable;
      desk.databaseChecked(ready, ready ? 'reachable and writable' : describeDatabase(snapshot), input.databaseRecheckSeconds);
      if (ready) break;
      await condition(() => run.status.abortRequested !== undefined, input.databaseRecheckSeconds * 1000);
      abortIfRequested(run);
    }
    await run.step(p.checkDatabase, async (a) => {
      const snapshot = await a.holdingSnapshot({ region });
      if (!snapshot.database.writable) throw ApplicationFailure.nonRetryable(`the database is not writable: ${describeDatabase(snapshot)}`, ErrorType.Precondition);
      return snapshot.database;
    });
    desk.phase('approving-return', `lifeboat approve ${workflowId} --as <an ${input.approvers} member>`);
    await run.gate(approval(p.approveReturn));

    // Reconciliation while stations still record by hand, back to normal, then a sweep for late entries.
    await reconcileUntilSettled(run, desk, region);
    await run.step(p.switchBack, (a) => a.setMode({ region, mode: 'normal' }));
    const returnedAt = Date.now();
    const onlineCheck = await run.step(p.verifyOnline, (a) => a.verifyOnlineBooking({ region, idempotencyKey: `lifeboat-online-check:${workflowId}:${runId}` }));
    await reconcileUntilSettled(run, desk, region);
    const ledger = await run.step(p.account, async (a) => {
      const accounting = await a.accountLedger({ region, settled: desk.book.settled() });
      if (accounting.unaccounted.length > 0) throw ApplicationFailure.nonRetryable(`ledger lines neither applied nor decided: ${accounting.unaccounted.join(', ')}`, ErrorType.Precondition);
      return accounting;
    });

    // The report.
    const report: ManualBookingReport = {
      region,
      mode: input.mode,
      enteredAt: new Date(enteredAt).toISOString(),
      returnedAt: new Date(returnedAt).toISOString(),
      timeInModeSeconds: Math.round((returnedAt - enteredAt) / 1000),
      timeInMode: since(enteredAt, returnedAt),
      ledger,
      duplicates: desk.duplicates,
      conflicts: desk.book.records,
      onlineCheck: { seat: onlineCheck.seat },
    };
    run.report('report', report);
    desk.phase('normal');
    await run.step(p.notifyReturn, (a) =>
      a.notify(notice(`Online booking is back in region ${region}`, `${input.incident}: ${report.timeInMode} in ${input.mode} mode; ${ledger.applied} ledger entries applied (${ledger.rebooked} rebooked), ${report.conflicts.length} conflicts resolved, ${ledger.duplicateCopies} duplicate copies and ${ledger.malformedLines} unreadable lines reported. Stop recording in the ledger.`)),
    );
    return report;
  });
}

/**
 * Passes over the ledger until one finds nothing left to decide: each pass applies what fits, the operator
 * decides the conflicts (`lifeboat resolve`), and the decisions are carried out before the next pass.
 */
async function reconcileUntilSettled(run: Run<Activities>, desk: Desk, region: RegionName): Promise<void> {
  for (;;) {
    desk.phase('reconciling');
    const pass = await run.step(p.reconcile, () => reconciler.reconcileLedger({ region, settled: desk.book.settled(), confirmedFlights: desk.book.confirmedFlights() }));
    desk.passDone(pass);
    if (desk.book.open().length === 0) return;
    desk.phase('resolving', `lifeboat resolve ${run.status.runId} <conflict> --keep database|ledger|both | --discard   or   lifeboat resolve ${run.status.runId} --rule earliest-wins`);
    await condition(() => desk.book.open().length === 0 || run.status.abortRequested !== undefined);
    abortIfRequested(run);
    const outcomes = await run.step(p.applyResolutions, (a) => a.applyResolutions({ region, decided: desk.book.toCarryOut() }));
    desk.book.done(outcomes);
    desk.publish();
  }
}

/** The run's own messages (resume, resolve) and what it publishes about them. */
class Desk {
  readonly book = new ConflictBook();
  readonly duplicates: DuplicateCopy[] = [];
  resume: ResumeRequest | undefined;
  private database: { ready: boolean; detail: string; recheckSeconds: number } | undefined;
  private readonly passes: Omit<ReconcilePass, 'conflicts' | 'duplicates'>[] = [];
  private current = 'entering';

  constructor(private readonly run: Run<Activities>) {
    setHandler(resumeSignal, (raw) => this.asSignal(raw, () => this.acceptResume(ResumeRequest.parse(raw))));
    setHandler(
      resumeUpdate,
      async (req) => {
        this.acceptResume(req);
        return this.resumeReceipt(req);
      },
      { validator: (raw) => this.throwIfRefused(this.resumeRefusal(ResumeRequest.parse(raw))) },
    );
    setHandler(resolveSignal, (raw) => this.asSignal(raw, () => this.resolve(ResolveRequest.parse(raw))));
    setHandler(resolveUpdate, (req) => this.resolve(req), { validator: (raw) => this.throwIfRefused(this.book.refusal(ResolveRequest.parse(raw))) });
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
    this.phase('waiting-for-database', `the run re-checks every ${recheckSeconds}s; nothing is applied until the database is writable`);
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

  private acceptResume(req: ResumeRequest): void {
    this.throwIfRefused(this.resumeRefusal(req));
    this.resume = req;
    this.run.audit(req.by, 'resume', 'return to normal asked for', req.comment);
  }

  /** Answers once the run has checked the database, so the person resuming learns at once whether it waits. */
  private async resumeReceipt(req: ResumeRequest): Promise<ResumeReceipt> {
    await condition(() => this.database !== undefined || this.run.status.abortRequested !== undefined);
    const db = this.database ?? { ready: false, detail: 'not checked: the run is aborting', recheckSeconds: 0 };
    return {
      by: req.by,
      databaseReady: db.ready,
      database: db.detail,
      next: db.ready ? `approve the return: lifeboat approve ${this.run.status.runId}` : `the run waits and re-checks the database every ${db.recheckSeconds}s; nothing is applied until it is writable`,
    };
  }

  private resolve(req: ResolveRequest) {
    this.throwIfRefused(this.book.refusal(req));
    const receipt = this.book.decide(req, new Date(Date.now()).toISOString());
    for (const r of receipt.resolved) this.run.audit(req.by, 'conflict-resolved', `${r.id}: ${r.decision}${req.rule ? ` (rule ${req.rule})` : ''}`, req.comment);
    this.publish();
    return receipt;
  }

  private throwIfRefused(reason: string | undefined): void {
    if (reason) throw ApplicationFailure.nonRetryable(reason, ErrorType.DecisionRefused);
  }

  /** A signal cannot answer; a refused or malformed one is recorded in the audit trail instead. */
  private asSignal(raw: unknown, apply: () => unknown): void {
    try {
      apply();
    } catch (err) {
      const by = (raw as { by?: unknown } | undefined)?.by;
      this.run.audit(typeof by === 'string' && by ? by : 'unknown', 'signal-refused', (err as Error).message);
    }
  }
}

function abortIfRequested(run: Run<Activities>): void {
  const abort = run.status.abortRequested;
  if (abort) throw new RunAborted(`aborted by ${abort.by}${abort.reason ? `: ${abort.reason}` : ''}`, abort.by);
}

function describeDatabase(s: HoldingSnapshot): string {
  if (!s.database.reachable) return `unreachable (${s.database.error ?? 'no answer'})`;
  return s.database.writable ? 'reachable and writable' : 'reachable but refuses writes (read-only, a standby or fenced)';
}

/** `3h 05m` since a time, as people read a duration. */
function since(fromMs: number, toMs = Date.now()): string {
  const minutes = Math.max(0, Math.floor((toMs - fromMs) / 60_000));
  const seconds = Math.max(0, Math.floor((toMs - fromMs) / 1000)) % 60;
  return minutes >= 60 ? `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m` : `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}
