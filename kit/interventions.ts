import { condition } from '@temporalio/workflow';
import type { StepSpec } from './definition';
import { DecisionRefusal } from './errors';
import type { OperatorDecision, OperatorReceipt } from './messages';
import type { SignedDecision } from './decisions/statement';
import { proofOf, verifySignedDecision, type VerifiedDecision } from './decisions/verify';
import { SYSTEM } from './run-record';
import type { InterventionsPart, RunParts } from './run-parts';
import type { InterventionAction, RunStatus, StepRecord } from './status';
import { traceWait } from './trace';

type SignedOperatorDecision = OperatorDecision & { step?: string; verified?: VerifiedDecision; signed?: SignedDecision };

/**
 * Where a run waits for an operator: a step (or undo) that keeps failing, and the decisions that answer it (retry,
 * skip, abort) or stop the run at any time (abort, cancel), each signed and checked against the runbook's operators.
 */
export class Interventions implements InterventionsPart {
  /** The operator's answer to the step that waits, until the step takes it. */
  private decision: OperatorDecision | undefined;
  /** The signed abort or cancel the run took, as it came: a plan passes it on to the members it started. */
  abortProof: SignedDecision | undefined;

  constructor(private readonly run: Pick<RunParts, 'record' | 'notices' | 'checks' | 'steps'>) {}

  /** A step that keeps failing waits for an operator: retry it, skip it (where allowed) or abort the run. */
  async awaitStep(spec: StepSpec, record: StepRecord): Promise<Exclude<InterventionAction, 'abort'>> {
    const { record: runRecord, notices, steps } = this.run;
    const { status } = runRecord;
    const options: InterventionAction[] = spec.skippable ? ['retry', 'skip', 'abort'] : ['retry', 'abort'];
    // Steps that run side by side (a plan's members) wait for an operator one at a time: status names one step.
    if (status.intervention) await condition(() => status.intervention === undefined || status.abortRequested !== undefined);
    status.intervention = { step: spec.name, error: record.lastError ?? 'unknown error', since: runRecord.now(), options };
    record.status = 'needs-intervention';
    runRecord.setState('needs-intervention');
    runRecord.audit(SYSTEM, 'intervention-needed', `${spec.name}: ${record.lastError}`);
    runRecord.metrics.interventionOpened(spec.name);
    if (!status.abortRequested) {
      await notices.send(
        'intervention-needed',
        `Step failed: ${spec.title}`,
        `${record.lastError}\nChoose: ${options.map((o) => `lifeboat ${o} ${status.runId}`).join(' | ')}`,
      );
    }
    await condition(() => this.decision !== undefined || status.abortRequested !== undefined);
    const decision = this.decision;
    this.decision = undefined;
    this.trace(status.intervention, decision?.action ?? 'abort');
    status.intervention = undefined;
    if (!decision || decision.action === 'abort') {
      steps.end(record, 'failed');
      steps.throwIfAbortRequested();
    }
    runRecord.setState('running');
    return decision!.action as Exclude<InterventionAction, 'abort'>;
  }

  /** A failed undo waits for an operator: retry it, or skip it and leave it reported as not undone. */
  async awaitUndo(record: StepRecord): Promise<'retry' | 'skip'> {
    const { record: runRecord, notices } = this.run;
    const { status } = runRecord;
    status.intervention = { step: record.name, error: record.lastError ?? 'unknown error', since: runRecord.now(), options: ['retry', 'skip'] };
    record.status = 'needs-intervention';
    runRecord.setState('needs-intervention');
    runRecord.audit(SYSTEM, 'intervention-needed', `${record.name}: ${record.lastError}`);
    runRecord.metrics.interventionOpened(record.name);
    await notices.send(
      'intervention-needed',
      `Undo failed: ${record.title}`,
      `${record.lastError}\nThe run is rolling back and cannot finish this undo by itself. Choose: lifeboat retry ${status.runId} | lifeboat skip ${status.runId}`,
    );
    await condition(() => this.decision !== undefined);
    const choice = this.decision!.action === 'retry' ? 'retry' : 'skip';
    this.decision = undefined;
    this.trace(status.intervention, choice);
    status.intervention = undefined;
    record.status = 'running';
    runRecord.setState('compensating');
    return choice;
  }

  /** The operator decision a message carries: verified and signed. */
  decisionOf(raw: unknown): SignedOperatorDecision {
    const { checks } = this.run;
    const verified = checks.accept(['retry', 'skip', 'abort', 'cancel'], raw);
    const { step, reason } = verified.body;
    return {
      action: verified.kind as OperatorDecision['action'],
      by: verified.by,
      ...(typeof reason === 'string' && reason ? { reason } : {}),
      ...(typeof step === 'string' ? { step } : {}),
      verified,
      signed: raw as SignedDecision,
    };
  }

  /**
   * A recovery plan's abort, passed on by the plan that started this run. It counts only when it is a signed abort (or
   * cancel) of that very plan run, which this run's start proved is its parent, by a person this run's own runbook lets
   * abort; it then aborts this run as `lifeboat abort` would, undo and all.
   */
  decidePlanAbort(raw: unknown): OperatorReceipt {
    const { record, checks } = this.run;
    const plan = checks.trust.delegation;
    if (!plan)
      throw new DecisionRefusal("this run was not started by a recovery plan, so no plan's abort applies to it; abort it with lifeboat abort", 'unknown');
    const verdict = verifySignedDecision(['abort', 'cancel'], raw, {
      namespace: checks.trust.identity.namespace,
      workflowId: plan.workflowId,
      runId: plan.runId,
      inputDigest: plan.inputDigest,
      nowMs: Date.now(),
      roster: checks.trust.roster,
      used: new Set(checks.nonces),
    });
    if (!verdict.ok) throw new DecisionRefusal(`not an abort of plan run ${plan.workflowId}: ${verdict.reason}`, verdict.claimed);
    const { reason } = verdict.decision.body;
    const decision: SignedOperatorDecision = {
      action: 'abort',
      by: verdict.decision.by,
      reason: `aborting plan run ${plan.workflowId}${typeof reason === 'string' && reason ? `: ${reason}` : ''}`,
      verified: verdict.decision,
    };
    const refusal = this.refusalOf(decision);
    if (refusal) throw new DecisionRefusal(refusal, decision.by);
    record.audit('lifeboat', 'plan-abort', `passed on by plan run ${plan.workflowId}`);
    return this.decide(decision);
  }

  /** Why an operator decision cannot be taken now, or undefined when it can. */
  refusalOf(decision: SignedOperatorDecision): string | undefined {
    const { record, checks } = this.run;
    const { state } = record.status;
    if (state === 'succeeded' || state === 'failed' || state === 'aborted') return `the run has already finished (${state})`;
    try {
      checks.requireRole(decision.action, decision.by);
    } catch (err) {
      return (err as Error).message;
    }
    if (decision.action === 'abort' || decision.action === 'cancel') {
      if (state === 'compensating' || record.status.abortRequested) return 'the run is already aborting';
      return undefined;
    }
    const pending = record.status.intervention;
    if (state !== 'needs-intervention' || !pending) return `no step is waiting for an operator; the run is ${state}`;
    if (decision.step !== pending.step) {
      return `the decision answers step "${decision.step ?? '(none)'}", but the step waiting for an operator is "${pending.step}"`;
    }
    if (!pending.options.includes(decision.action)) {
      return `step "${pending.step}" may not be skipped; choose ${pending.options.filter((o) => o !== 'skip').join(' or ')}`;
    }
    return undefined;
  }

  /** Takes an operator's decision: an abort or cancel for the whole run, any other for the step that waits. */
  decide(decision: SignedOperatorDecision): OperatorReceipt {
    const { record, checks } = this.run;
    const { status } = record;
    const { state } = status;
    const refusal = this.refusalOf(decision);
    if (refusal) throw new DecisionRefusal(refusal, decision.by);
    const proof = decision.verified ? proofOf(decision.verified) : undefined;
    if (decision.verified) checks.consume(decision.verified);
    if (decision.action === 'abort' || decision.action === 'cancel') {
      if (decision.signed) this.abortProof = decision.signed;
      status.abortRequested = { by: decision.by, at: record.now(), ...(decision.reason ? { reason: decision.reason } : {}) };
      if (state === 'needs-intervention') this.decision = { action: 'abort', by: decision.by, ...(decision.reason ? { reason: decision.reason } : {}) };
      record.audit(decision.by, decision.action, status.currentStep ? `requested during ${status.currentStep}` : undefined, decision.reason, proof);
      return { action: decision.action, step: status.currentStep, state };
    }
    const pending = status.intervention!;
    this.decision = decision;
    record.audit(decision.by, decision.action, `step ${pending.step}`, decision.reason, proof);
    return { action: decision.action, step: pending.step, state };
  }

  /** Adds the wait for an operator that just ended to the run's trace. */
  private trace(intervention: RunStatus['intervention'], decision: string): void {
    if (!intervention) return;
    traceWait(`intervention:${intervention.step}`, Date.parse(intervention.since), Date.now(), {
      'lifeboat.runbook': this.run.record.status.runbook,
      'lifeboat.step': intervention.step,
      'lifeboat.intervention.decision': decision,
    });
  }
}
