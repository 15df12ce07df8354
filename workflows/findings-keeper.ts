import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { DecisionRefusal, describeError, ErrorType, type KitActivities, type RunbookDefinition } from '../kit';
import { SignedDecision } from '../kit/trust';
import type { DrillOutcome, FindingsActivities } from '../lib/findings/activity-contracts';
import type { FindingsBook, NewFinding } from '../lib/findings/book';
import { checkClose } from '../lib/findings/close-check';
import type { ArchivedClose, DrillEndedClaim, FindingsIdentity, NotReadyClaim } from '../lib/findings/messages';
import { FIX, findingId } from '../lib/findings/names';
import type { AuditFinding } from '../lib/findings/record';
import type { FindingsInbox, FindingsWork } from './findings-inbox';

const findings = proxyActivities<FindingsActivities>({ startToCloseTimeout: '2 minutes', retry: { initialInterval: '1 second', maximumInterval: '1 minute' } });
const { loadRoster } = proxyActivities<KitActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3 } });

/**
 * What the findings workflow does with each message, one at a time: checks a claim in Temporal before it opens anything,
 * verifies a signed close and its proof, and seals the findings into the archive after every change.
 */
export class FindingsKeeper {
  private readonly usedNonces = new Set<string>();

  constructor(
    private readonly definition: RunbookDefinition,
    private readonly target: string,
    private readonly identity: FindingsIdentity,
    private readonly book: FindingsBook,
    private readonly inbox: FindingsInbox,
    private readonly settings: { deadlineSeconds: number; notReadySeconds: number },
    /** When the newest sealed snapshot was taken (ms): each new one is later, so each has its own key. */
    private lastSealedAt: number,
  ) {}

  /** Handles one message; one that cannot be handled (an activity refused for good) is counted with its reason. */
  async handle(work: FindingsWork): Promise<void> {
    try {
      if ('drill' in work) await this.drillEnded(work.drill);
      else if ('notReady' in work) await this.notReady(work.notReady);
      else await this.closeAndAnswer(work);
    } catch (err) {
      this.inbox.refuse(`a message could not be handled: ${describeError(err)}`);
    }
  }

  private async drillEnded(claim: DrillEndedClaim): Promise<void> {
    const outcome = await findings.readDrillOutcome(this.definition.id, this.target, claim);
    if (!outcome.ok) return this.inbox.refuse(outcome.problem);
    const run = { runId: outcome.workflowId, temporalRunId: outcome.temporalRunId };
    await this.open(
      outcome.issues
        .filter((issue) => !this.book.recorded(run.temporalRunId, issue.reason))
        .map((issue) => ({ ...issue, run, ...(outcome.evidence ? { evidence: outcome.evidence } : {}) })),
    );
  }

  private async notReady(claim: NotReadyClaim): Promise<void> {
    const { since } = await findings.notReadySince(this.definition.id, this.target, claim.scheduleId);
    if (!since || Date.now() - Date.parse(since) < this.settings.notReadySeconds * 1000 || this.book.openWithoutRun('not-ready')) return;
    await this.open([
      { reason: 'not-ready', what: `${this.definition.id} on ${this.target} has been not ready since ${since} (readiness schedule ${claim.scheduleId})` },
    ]);
  }

  private async closeAndAnswer(work: Extract<FindingsWork, { close: unknown }>): Promise<void> {
    try {
      // Closed first, answered after: `answer?.(await …)` would skip the close itself when a signal has no one to answer.
      const closed = await this.close(work.close);
      work.answer?.(closed);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.inbox.refuse(reason);
      work.answer?.(err instanceof ApplicationFailure ? err : ApplicationFailure.nonRetryable(reason, ErrorType.DecisionRefused));
    }
  }

  private async close(message: unknown): Promise<AuditFinding> {
    const { book, definition, target } = this;
    const verdict = checkClose(message, book, { identity: this.identity, roster: await loadRoster(), definition, nowMs: Date.now(), used: this.usedNonces });
    if (!verdict.ok) throw new DecisionRefusal(`close refused: ${verdict.reason}${FIX}${verdict.fix}`, verdict.claimed);
    this.usedNonces.add(verdict.decision.nonce);
    const { body, decision } = verdict;
    const finding = book.get(body.finding)!;
    const at = new Date().toISOString();
    let proof: NonNullable<AuditFinding['closed']>['proof'];
    if (body.proof === 'drill') {
      const drill = await findings.readDrillOutcome(definition.id, target, { workflowId: body.drill!, temporalRunId: body.drillRun! });
      const why = proofProblem(drill, finding);
      if (why || !drill.ok)
        throw new DecisionRefusal(
          `close refused: ${why}${FIX}run a drill of ${definition.id} on ${target} that passes, then name it with --proof`,
          decision.by,
        );
      proof = { kind: 'passing-drill', runId: drill.workflowId, temporalRunId: drill.temporalRunId, finishedAt: drill.finishedAt };
    } else {
      proof = { kind: 'risk-accepted', by: decision.by, group: verdict.riskGroup!, at, comment: body.comment };
    }
    const closed = book.close(finding.id, { by: decision.by, at, comment: body.comment, proof });
    await this.seal({ finding: finding.id, decision: SignedDecision.parse(message) });
    return closed;
  }

  private async open(issues: NewFinding[]): Promise<void> {
    for (const issue of issues)
      this.book.open(findingId(await findings.allocateFindingNumber()), issue, new Date().toISOString(), this.settings.deadlineSeconds);
    if (issues.length > 0) await this.seal();
  }

  /** Seals the findings as they are now (and the close that changed them) as the next link of their chain. */
  private async seal(close?: ArchivedClose): Promise<void> {
    this.lastSealedAt = Math.max(Date.now(), this.lastSealedAt + 1);
    await findings.archiveFindings(this.book.snapshot(new Date(this.lastSealedAt).toISOString()), this.identity.workflowId, workflowInfo().runId, close);
  }
}

/** Why a drill does not prove a finding fixed: it is not a verified drill here, it did not pass, or it ended before the finding opened. */
function proofProblem(drill: DrillOutcome, finding: AuditFinding): string | undefined {
  if (!drill.ok) return drill.problem;
  if (drill.issues.length > 0) return `drill ${drill.workflowId} (${drill.temporalRunId}) did not pass: ${drill.issues.map((i) => i.what).join('; ')}`;
  if (Date.parse(drill.finishedAt) <= Date.parse(finding.openedAt))
    return `drill ${drill.workflowId} finished at ${drill.finishedAt}, before ${finding.id} opened at ${finding.openedAt}: only a later drill proves a fix`;
  return undefined;
}
