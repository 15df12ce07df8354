import { allHandlersFinished, ApplicationFailure, condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { z } from 'zod';
import { DecisionRefusal, describeError, ErrorType, type KitActivities } from '../kit';
import { SignedDecision } from '../kit/trust';
import type { FindingsActivities } from '../lib/findings/activity-contracts';
import { FindingsBook } from '../lib/findings/book';
import { checkClose } from '../lib/findings/close-check';
import {
  type ArchivedClose,
  closeFindingSignal,
  closeFindingUpdate,
  DrillEndedClaim,
  drillEndedSignal,
  findingsQuery,
  NotReadyClaim,
  notReadySignal,
  type FindingsIdentity,
  type FindingsView,
} from '../lib/findings/messages';
import { FIX, findingId, findingsIdentityDigest, findingsWorkflowId } from '../lib/findings/names';
import type { AuditFinding } from '../lib/findings/record';
import { runbooks } from '../runbooks';

/**
 * The findings of one runbook and target (workflow ID `findings/<runbook>/<target>`): opened by drills that did not pass
 * and by readiness that stayed not ready, closed by signed decisions, sealed into the evidence archive at each change.
 *
 * Trust. Anyone with namespace access can start this workflow under any input and send it anything, so:
 * - What it holds comes from the archive, not from its input: at each start (a first start, an insider's start, or a
 *   carry-over) it reads the newest sealed findings bundle of its runbook and target, whose seal and files an activity
 *   checks (lib/evidence/verify-bundle.ts). Every change is sealed there before it is acknowledged, so the archive is
 *   always at least as new as any state this workflow could carry. Its input carries only claims still to check.
 * - A claim that a drill ended opens nothing until an activity has read that run from Temporal (our workflow type, on
 *   our task queue, a drill of this runbook and target, closed) and found what it showed in the run's own status.
 * - A close counts only as a signed decision, verified here against the roster and this workflow's identity.
 */

export const RunbookFindingsInput = z.strictObject({
  runbook: z.string().min(1).max(200),
  target: z.string().min(1).max(200),
  /** Claims that arrived before the run before this one carried itself over; each is checked again like a new one. */
  pending: z
    .array(z.union([z.strictObject({ drill: DrillEndedClaim }), z.strictObject({ notReady: NotReadyClaim })]))
    .max(100)
    .optional(),
});
export type RunbookFindingsInput = z.infer<typeof RunbookFindingsInput>;
type Claim = NonNullable<RunbookFindingsInput['pending']>[number];

/** Waiting work beyond this is refused (a flood of forged claims must not grow the history without bound). */
const MAX_WAITING = 100;
/** Changes before it carries itself over. */
const CHANGES_PER_RUN = 200;

const findings = proxyActivities<FindingsActivities>({ startToCloseTimeout: '2 minutes', retry: { initialInterval: '1 second', maximumInterval: '1 minute' } });
const { loadRoster } = proxyActivities<KitActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3 } });

type Work = Claim | { close: unknown; answer?: (result: AuditFinding | Error) => void };

export async function runbookFindings(raw: RunbookFindingsInput): Promise<never> {
  const parsed = RunbookFindingsInput.safeParse(raw);
  if (!parsed.success) throw ApplicationFailure.nonRetryable(`not a findings workflow's input: ${z.prettifyError(parsed.error)}`, ErrorType.InvalidInput);
  const { runbook, target } = parsed.data;
  const definition = runbooks[runbook];
  if (!definition) throw ApplicationFailure.nonRetryable(`unknown runbook ${runbook}`, ErrorType.InvalidInput);
  const info = workflowInfo();
  // One writer per findings chain: a second workflow under another ID would race this one for the chain's links.
  if (info.workflowId !== findingsWorkflowId(runbook, target))
    throw ApplicationFailure.nonRetryable(
      `the findings of ${runbook} on ${target} are kept under ${findingsWorkflowId(runbook, target)}`,
      ErrorType.InvalidInput,
    );
  const identity: FindingsIdentity = {
    namespace: info.namespace,
    workflowId: info.workflowId,
    runId: info.firstExecutionRunId,
    inputDigest: findingsIdentityDigest(runbook, target),
  };
  const refused: FindingsView['refused'] = { count: 0 };
  const usedNonces = new Set<string>();
  const waiting: Work[] = [...(parsed.data.pending ?? [])];

  const refuse = (reason: string) => {
    refused.count++;
    refused.lastReason = reason.slice(0, 300);
    refused.lastAt = new Date().toISOString();
  };
  const enqueue = (work: Work): void => {
    if (waiting.length < MAX_WAITING) waiting.push(work);
    else refuse('too many messages waiting; this one was dropped');
  };
  const accept =
    <T>(schema: z.ZodType<T>, wrap: (claim: T) => Claim) =>
    (message: unknown) => {
      const claim = schema.safeParse(message);
      if (claim.success) enqueue(wrap(claim.data));
      else refuse(`malformed message: ${claim.error.issues[0]?.path.join('.') || 'message'} ${claim.error.issues[0]?.message}`);
    };

  // Messages are taken (queued) from the first moment, so none is lost while the findings are read back; the query is
  // answered only once they are, so nobody reads an empty list that is merely not restored yet.
  setHandler(
    drillEndedSignal,
    accept(DrillEndedClaim, (drill) => ({ drill })),
  );
  setHandler(
    notReadySignal,
    accept(NotReadyClaim, (notReady) => ({ notReady })),
  );
  setHandler(closeFindingSignal, (message) => enqueue({ close: message }));
  const validator = (message: SignedDecision) => void SignedDecision.parse(message);
  setHandler(
    closeFindingUpdate,
    (message) =>
      new Promise<AuditFinding>((resolve, reject) => {
        if (waiting.length >= MAX_WAITING) return reject(ApplicationFailure.nonRetryable('too many messages waiting; try again', ErrorType.DecisionRefused));
        waiting.push({ close: message, answer: (result) => (result instanceof Error ? reject(result) : resolve(result)) });
      }),
    { validator },
  );

  const restored = await findings.readSealedFindings(runbook, target);
  const book = new FindingsBook(runbook, target, restored.snapshot?.findings ?? []);
  let lastSealedAt = restored.snapshot ? Date.parse(restored.snapshot.at) : 0;
  const settings = await findings.findingsSettings();
  setHandler(findingsQuery, () => ({ runbook, target, identity, findings: book.findings, refused, restoredFrom: restored.from }));

  /** Seals the findings as they are now; each snapshot's time is later than the one before, so each has its own key. */
  const seal = async (close?: ArchivedClose) => {
    lastSealedAt = Math.max(Date.now(), lastSealedAt + 1);
    await findings.archiveFindings(book.snapshot(new Date(lastSealedAt).toISOString()), info.workflowId, info.runId, close);
  };

  const open = async (issues: Parameters<FindingsBook['open']>[1][]) => {
    for (const issue of issues) book.open(findingId(await findings.allocateFindingNumber()), issue, new Date().toISOString(), settings.deadlineSeconds);
    if (issues.length > 0) await seal();
  };

  const handle = async (work: Work) => {
    if ('drill' in work) {
      const outcome = await findings.readDrillOutcome(runbook, target, work.drill);
      if (!outcome.ok) return refuse(outcome.problem);
      const run = { runId: outcome.workflowId, temporalRunId: outcome.temporalRunId };
      await open(
        outcome.issues
          .filter((issue) => !book.recorded(run.temporalRunId, issue.reason))
          .map((issue) => ({ ...issue, run, ...(outcome.evidence ? { evidence: outcome.evidence } : {}) })),
      );
    } else if ('notReady' in work) {
      const { since } = await findings.notReadySince(runbook, target, work.notReady.scheduleId);
      if (!since || Date.now() - Date.parse(since) < settings.notReadySeconds * 1000 || book.openWithoutRun('not-ready')) return;
      await open([{ reason: 'not-ready', what: `${runbook} on ${target} has been not ready since ${since} (readiness schedule ${work.notReady.scheduleId})` }]);
    } else {
      try {
        const closed = await close(work.close);
        work.answer?.(closed);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        refuse(reason);
        work.answer?.(err instanceof ApplicationFailure ? err : ApplicationFailure.nonRetryable(reason, ErrorType.DecisionRefused));
      }
    }
  };

  const close = async (message: unknown): Promise<AuditFinding> => {
    const verdict = checkClose(message, book, { identity, roster: await loadRoster(), definition, nowMs: Date.now(), used: usedNonces });
    if (!verdict.ok) throw new DecisionRefusal(`close refused: ${verdict.reason}${FIX}${verdict.fix}`, verdict.claimed);
    usedNonces.add(verdict.decision.nonce);
    const { body, decision } = verdict;
    const finding = book.get(body.finding)!;
    const at = new Date().toISOString();
    let proof: NonNullable<AuditFinding['closed']>['proof'];
    if (body.proof === 'drill') {
      const drill = await findings.readDrillOutcome(runbook, target, { workflowId: body.drill!, temporalRunId: body.drillRun! });
      const why = !drill.ok
        ? drill.problem
        : drill.issues.length > 0
          ? `drill ${drill.workflowId} (${drill.temporalRunId}) did not pass: ${drill.issues.map((i) => i.what).join('; ')}`
          : Date.parse(drill.finishedAt) <= Date.parse(finding.openedAt)
            ? `drill ${drill.workflowId} finished at ${drill.finishedAt}, before ${finding.id} opened at ${finding.openedAt}: only a later drill proves a fix`
            : undefined;
      if (why || !drill.ok)
        throw new DecisionRefusal(`close refused: ${why}${FIX}run a drill of ${runbook} on ${target} that passes, then name it with --proof`, decision.by);
      proof = { kind: 'passing-drill', runId: drill.workflowId, temporalRunId: drill.temporalRunId, finishedAt: drill.finishedAt };
    } else {
      proof = { kind: 'risk-accepted', by: decision.by, group: verdict.riskGroup!, at, comment: body.comment };
    }
    const closed = book.close(finding.id, { by: decision.by, at, comment: body.comment, proof });
    await seal({ finding: finding.id, decision: SignedDecision.parse(message) });
    return closed;
  };

  for (let changes = 0; changes < CHANGES_PER_RUN && !workflowInfo().continueAsNewSuggested; changes++) {
    await condition(() => waiting.length > 0 || workflowInfo().continueAsNewSuggested);
    const work = waiting.shift();
    // A claim that cannot be checked (an activity refused for good) is counted with its reason; the findings stay.
    if (work) await handle(work).catch((err: unknown) => refuse(`a message could not be handled: ${describeError(err)}`));
  }
  // Closes are answered before carrying over (an update cannot wait across runs); claims go along to be checked there.
  const nextClose = () => waiting.find((w) => 'close' in w);
  for (;;) {
    const work = nextClose();
    if (work) {
      waiting.splice(waiting.indexOf(work), 1);
      await handle(work).catch((err: unknown) => refuse(`a message could not be handled: ${describeError(err)}`));
    } else if (allHandlersFinished()) break;
    else await condition(() => allHandlersFinished() || nextClose() !== undefined);
  }
  return continueAsNew<typeof runbookFindings>({ runbook, target, pending: waiting.filter((w): w is Claim => !('close' in w)).slice(0, MAX_WAITING) });
}
