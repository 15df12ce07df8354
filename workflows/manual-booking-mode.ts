import { ApplicationFailure, condition, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { BookingMode } from '../activities/booking';
import type { SystemActivities as EstateActivities } from '../activities';
import type { ManualBookingActivities } from '../activities/manual-booking';
import type { DuplicateCopy, HoldingSnapshot, LedgerAccounting, RegionName } from '../activities/manual-booking-types';
import type { BookingTarget } from '../activities';
import { manualBookingMode as runbook, type ManualBookingModeInput } from '../runbooks/manual-booking-mode';
import { describeError, ErrorType, type RunbookRun, RunAborted, type RunRequest, type RunResult, runRunbook, secondsBetween, type KitActivities } from '../kit';
import { describeApprovers } from '../kit/trust';
import type { ConflictRecord } from './manual-booking-conflicts';
import { Desk } from './manual-booking-desk';
import { IsolatedBookingDrill } from './manual-booking-drill';

type Activities = KitActivities & EstateActivities & ManualBookingActivities;

const p = runbook.procedure;

/** Small reads outside the procedure's steps (holding refreshes, database rechecks), so status does not grow a step each time. */
const probe = proxyActivities<ManualBookingActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3, initialInterval: '2 seconds' } });

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

/**
 * Switch stations to the counter ledger, hold until resumed, reconcile every entry once, return to normal.
 * An isolated drill runs the same procedure on a scratch booking service it builds and removes, so production
 * booking is never touched.
 */
export async function manualBookingMode(request: RunRequest<ManualBookingModeInput>): Promise<RunResult<ManualBookingReport>> {
  return runRunbook(runbook, request, async (run: RunbookRun<Activities>, input) => {
    if (run.status.drill?.kind !== 'isolated') return manualMode(run, input);
    const drill = new IsolatedBookingDrill(run, input);
    return drill.around(() => manualMode(run, input, drill));
  });
}

/** The procedure, on production's booking service or, with `drill`, on the drill's scratch service only. */
async function manualMode(run: RunbookRun<Activities>, input: ManualBookingModeInput, drill?: IsolatedBookingDrill): Promise<ManualBookingReport> {
  const { workflowId, runId } = workflowInfo();
  const desk = new Desk(run);
  // The kit labels a drill's notices; an isolated drill pages no station.
  const notice = (title: string, text: string) => ({
    kind: 'info' as const,
    runId: workflowId,
    runbook: runbook.id,
    target: input.service,
    state: run.status.state,
    title,
    text,
    ...(drill ? {} : { audience: input.stations }),
  });

  // Entering the mode.
  const { region, how } = await run.step(p.findRegion, (a) => a.bookingRegionInUse(input.region ? { region: input.region } : {}));
  run.report('region', `${region} (${how})`);
  const on: BookingTarget = drill ? await drill.build(region) : { region };
  const setMode = (a: Activities, mode: BookingMode) =>
    on.scratch ? a.setScratchMode({ key: on.scratch, mode }) : a.setMode({ service: input.service, region, mode, alone: true });
  await run.gate(p.approveEntry);
  // The undo restores the mode read before the first attempt: a retry after a lost worker finds its own mode set.
  // Where that read never completed, the undo goes by the last attempt's `previous`.
  await run.step(p.switchMode, (a) => setMode(a, input.mode), {
    before: (a) => a.bookingMode(on),
    undo: (a, { before, result }) => setMode(a, before?.mode ?? result?.previous ?? 'normal'),
  });
  const enteredAt = Date.now();
  const refused = await run.step(p.verifyRefused, (a) =>
    a.verifyOnlineRefused({ ...on, mode: input.mode, idempotencyKey: `lifeboat-refusal-check:${workflowId}:${runId}` }),
  );
  run.report('onlineRefusal', refused.refusedWith);
  await run.step(p.verifyLedger, (a) => a.verifyLedgerRecords({ ...on, idempotencyKey: `lifeboat-ledger-check:${workflowId}:${runId}` }));
  const manualWorkingAt = Date.now();
  run.measure({ rtoSeconds: secondsBetween(Date.parse(run.status.startedAt), manualWorkingAt) });
  await run.step(p.notifyStations, (a) =>
    a.notify(
      notice(
        `Booking is in ${input.mode} mode: book at the counter`,
        `${input.incident}: ${input.reason}. Online booking in region ${region} is refused. Record every booking in the offline ledger with its ticket number as the idempotency key; nothing is lost, each entry is applied once when booking returns.`,
      ),
    ),
  );
  if (drill) await drill.seedLedger();

  // Holding: no polling; a coarse timer refreshes what status shows until someone resumes (or, in an unattended
  // drill, until the drill's policy does after a short hold).
  desk.phase('holding', `lifeboat resume ${workflowId} --as <you>`);
  const refresh = async (): Promise<HoldingSnapshot> => {
    const snapshot = await snapshotOf(on);
    run.report('holding', { region, since: new Date(enteredAt).toISOString(), timeInMode: since(enteredAt), ...snapshot });
    return snapshot;
  };
  const policyResumesAt = drill?.resumesByPolicy ? enteredAt + input.drillHoldSeconds * 1000 : Infinity;
  while (!desk.resume && !run.status.abortRequested) {
    await refresh();
    await condition(
      () => desk.resume !== undefined || run.status.abortRequested !== undefined,
      Math.min(input.refreshMinutes * 60_000, Math.max(1, policyResumesAt - Date.now())),
    );
    if (!desk.resume && Date.now() >= policyResumesAt)
      desk.resumeByDrillPolicy(`after a hold of ${input.drillHoldSeconds}s: an unattended drill has nobody to resume it`);
  }
  abortIfRequested(run);
  const resumedAt = Date.now();

  // The return: a writable database first (waiting, never half-applying), then a person approves. Rechecks back
  // off to the refresh interval, so a database down for days keeps the history small.
  for (let check = 0; ; check++) {
    const snapshot = await refresh();
    const ready = snapshot.database.reachable && snapshot.database.writable;
    const recheckSeconds = Math.min(input.databaseRecheckSeconds * 2 ** Math.min(check, 20), Math.max(input.databaseRecheckSeconds, input.refreshMinutes * 60));
    desk.databaseChecked(ready, ready ? 'reachable and writable' : describeDatabase(snapshot), recheckSeconds);
    if (ready) break;
    await run.waitUnlessAborted(recheckSeconds * 1000);
  }
  await run.step(p.checkDatabase, async (a) => {
    const snapshot = await a.holdingSnapshot(on);
    if (!snapshot.database.writable)
      throw ApplicationFailure.nonRetryable(`the database is not writable: ${describeDatabase(snapshot)}`, ErrorType.Precondition);
    return snapshot.database;
  });
  desk.phase('approving-return', `lifeboat approve ${workflowId} --as <${describeApprovers({ ...p.approveReturn.policy })}>`);
  await run.gate(p.approveReturn);

  // Reconciliation while stations still record by hand, then back to normal.
  await reconcileUntilSettled(run, desk, on);
  await run.step(p.switchBack, (a) => setMode(a, 'normal'));
  const returnedAt = Date.now();
  const onlineCheck = await run.step(p.verifyOnline, (a) => a.verifyOnlineBooking({ ...on, idempotencyKey: `lifeboat-online-check:${workflowId}:${runId}` }));
  run.report('recoveryTimes', {
    manualModeWorkingSeconds: secondsBetween(Date.parse(run.status.startedAt), manualWorkingAt),
    backToNormalSeconds: secondsBetween(resumedAt, Date.now()),
  });
  await run.step(p.notifyBack, (a) =>
    a.notify(
      notice(
        `Online booking is back in region ${region}: stop recording in the ledger`,
        `${input.incident}: book online again. Entries recorded until now are being applied.`,
      ),
    ),
  );

  // The sweep: lines recorded until the stations stopped, until every ledger line is applied or decided.
  let ledger: LedgerAccounting;
  do {
    await reconcileUntilSettled(run, desk, on);
    ledger = await run.step(p.account, (a) => a.accountLedger({ ...on, settled: desk.book.settled() }));
  } while (ledger.unaccounted.length > 0);

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
  const decided = (d: string) => report.conflicts.filter((c) => c.resolution?.decision === d).length;
  run.report('report', {
    timeInMode: report.timeInMode,
    ledger,
    conflicts: {
      total: report.conflicts.length,
      keepDatabase: decided('keep-database'),
      keepLedger: decided('keep-ledger'),
      keepBoth: decided('keep-both'),
      discarded: decided('discard'),
    },
    onlineCheck: report.onlineCheck,
  });
  desk.phase('normal');
  await run.step(p.notifyReturn, (a) =>
    a.notify(
      notice(
        `Online booking is back in region ${region}`,
        `${input.incident}: ${report.timeInMode} in ${input.mode} mode; ${ledger.applied} ledger entries applied (${ledger.rebooked} rebooked), ${report.conflicts.length} conflicts resolved, ${ledger.duplicateCopies} duplicate copies and ${ledger.malformedLines} unreadable lines reported.`,
      ),
    ),
  );
  return report;
}

/**
 * Passes over the ledger until one finds nothing left to decide: each pass applies what fits, the operator
 * decides the conflicts (`lifeboat resolve`), and the decisions are carried out before the next pass.
 */
async function reconcileUntilSettled(run: RunbookRun<Activities>, desk: Desk<Activities>, on: BookingTarget): Promise<void> {
  for (;;) {
    desk.phase('reconciling');
    const pass = await run.step(p.reconcile, (a) => a.reconcileLedger({ ...on, settled: desk.book.settled(), confirmedFlights: desk.book.confirmedFlights() }));
    desk.passDone(pass);
    if (desk.book.open().length === 0) return;
    desk.phase(
      'resolving',
      `lifeboat resolve ${run.status.runId} <conflict> --keep database|ledger|both | --discard   or   lifeboat resolve ${run.status.runId} --rule earliest-wins`,
    );
    await condition(() => desk.book.open().length === 0 || run.status.abortRequested !== undefined);
    abortIfRequested(run);
    const outcomes = await run.step(p.applyResolutions, (a) => a.applyResolutions({ ...on, decided: desk.book.toCarryOut() }));
    desk.book.done(outcomes);
    desk.publish();
  }
}

/** A holding snapshot; if even that cannot be taken (no catalog, no worker access), the hold goes on and says why. */
async function snapshotOf(on: BookingTarget): Promise<HoldingSnapshot> {
  try {
    return await probe.holdingSnapshot(on);
  } catch (err) {
    const error = `status could not be refreshed: ${describeError(err)}`;
    return {
      at: new Date(Date.now()).toISOString(),
      mode: 'unknown',
      database: { reachable: false, writable: false, error },
      ledger: { byStation: {}, total: 0, malformed: -1 },
    };
  }
}

function abortIfRequested(run: RunbookRun<Activities>): void {
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
