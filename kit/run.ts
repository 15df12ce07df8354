import { setHandler } from '@temporalio/workflow';
import { CarryOver, type CarriedRun } from './carry-over';
import type { Objectives, RunbookDefinition } from './definition';
import { Gates } from './gates';
import { Interventions } from './interventions';
import { approveSignal, approveUpdate, interveneSignal, interveneUpdate, planAbortSignal, rejectSignal, rejectUpdate, statusQuery } from './messages';
import { Notices } from './notices';
import { drillProblems } from './objectives';
import { ResetWatch } from './reset-watch';
import { RunRecord, SYSTEM } from './run-record';
import type { RunParts } from './run-parts';
import type { RunbookRun } from './runbook-run-api';
import type { RunTrust } from './run-trust';
import { SignatureChecks } from './signature-checks';
import type { DecisionProof, DrillMode, RunState, RunStatus } from './status';
import { Steps } from './steps';

/**
 * One execution of a runbook, put together from its parts (record, notices, signature checks, steps, interventions,
 * gates, carry-over, reset handling): its status, its message handlers, and what `runRunbook` drives around the
 * procedure. The procedure itself sees only {@link RunbookRun}.
 */
export class Run<A> implements RunParts {
  readonly record: RunRecord;
  readonly notices: Notices;
  readonly resets: ResetWatch;
  readonly checks: SignatureChecks;
  readonly steps: Steps<A>;
  readonly interventions: Interventions;
  readonly gates: Gates;
  readonly carryOver: CarryOver;

  constructor(
    readonly definition: RunbookDefinition,
    target: string,
    requestedBy: string,
    drill: DrillMode | undefined,
    objectives: Objectives,
    trust: RunTrust,
  ) {
    this.record = new RunRecord(definition, target, requestedBy, drill, objectives, trust);
    this.notices = new Notices(this.record);
    this.record.onHistoryWarning = (title, warning) => void this.notices.send('escalation', title, warning);
    this.resets = new ResetWatch(this);
    this.checks = new SignatureChecks(this.record, definition, trust, this.resets);
    this.steps = new Steps(this);
    this.interventions = new Interventions(this);
    this.gates = new Gates(this);
    this.carryOver = new CarryOver(this);
  }

  get status(): RunStatus {
    return this.record.status;
  }

  /** Wires queries, signals and updates to this run. Called once, before the first step. */
  registerHandlers(): void {
    const { gates, interventions, checks, record } = this;
    setHandler(statusQuery, () => this.status);
    for (const [signal, update, decision] of [
      [approveSignal, approveUpdate, 'approve'],
      [rejectSignal, rejectUpdate, 'reject'],
    ] as const) {
      setHandler(signal, (raw) => checks.asSignal(decision, raw, () => gates.decide(decision, gates.voteOf(decision, raw))));
      setHandler(update, (raw) => gates.decide(decision, gates.voteOf(decision, raw)), {
        validator: (raw) => checks.validate(() => gates.refusalOf(decision, gates.voteOf(decision, raw))),
      });
    }
    setHandler(planAbortSignal, (raw) => checks.asSignal('plan-abort', raw, () => interventions.decidePlanAbort(raw)));
    setHandler(interveneSignal, (raw) => checks.asSignal('intervene', raw, () => interventions.decide(interventions.decisionOf(raw))));
    setHandler(interveneUpdate, (raw) => interventions.decide(interventions.decisionOf(raw)), {
      validator: (raw) => checks.validate(() => interventions.refusalOf(interventions.decisionOf(raw))),
    });
    record.setSearchAttributes(true);
    record.metrics.entered(this.status.state);
    const start = checks.trust.start;
    this.audit(
      this.status.requestedBy,
      'started',
      `${this.status.runbook} on ${this.status.target}${start?.delegatedBy ? `, started for ${start.delegatedBy}` : ''}${start?.schedule ? `, by drill schedule ${start.schedule}` : ''}${
        this.status.trust ? `; roster ${this.status.trust.rosterDigest}` : ''
      }`,
      undefined,
      start?.verified,
    );
  }

  /** Lets the run carry itself over at a gate where its runbook allows it; with `carried`, picks up from the run before. */
  configureCarryOver(request: unknown, carried: CarriedRun | undefined): void {
    this.carryOver.configure(request, carried);
  }

  /** Watches for Temporal's reset of this run. */
  watchForReset(): void {
    this.resets.watch();
  }

  /** Runs the registered undos in reverse; see {@link Steps.compensate}. */
  compensate(): Promise<void> {
    return this.steps.compensate();
  }

  /** Records a refused decision: in the audit trail for the first few, always in the count. */
  recordRefusal(claimed: string, action: string, reason: string): void {
    this.checks.recordRefusal(claimed, action, reason);
  }

  /** Records an entry of the audit trail. */
  audit(actor: string, action: string, detail?: string, comment?: string, verified?: DecisionProof): void {
    this.record.audit(actor, action, detail, comment, verified);
  }

  /** Ends the run in a final state and tells the channel. */
  async finish(state: Extract<RunState, 'succeeded' | 'failed' | 'aborted'>, outcome: string): Promise<void> {
    const { record, notices, status } = this;
    status.outcome = outcome;
    status.finishedAt = record.now();
    status.currentStep = undefined;
    record.setState(state);
    record.audit(SYSTEM, `run-${state}`, outcome);
    const failedUndos = status.compensation.filter((c) => c.status === 'failed');
    const rollback = failedUndos.length > 0 ? ` ROLLBACK INCOMPLETE: ${failedUndos.map((c) => `${c.step} (${c.error})`).join('; ')}` : '';
    await notices.send('run-finished', `${status.runbook} on ${status.target}: ${state}`, `${outcome}.${rollback}`);
    if (status.drill) {
      const problems = drillProblems(status);
      record.report('drillResult', problems.length === 0 ? 'passed' : { failed: problems });
      if (problems.length > 0) {
        await notices.send('drill-failed', `Drill did not pass: ${status.runbook} on ${status.target}`, problems.join('; '));
      }
    }
  }

  /** What the procedure sees of this run: the kit primitives, and nothing of the plumbing behind them. */
  forProcedure(): RunbookRun<A> {
    const { record, steps, gates, notices, checks, interventions } = this;
    return {
      get status() {
        return record.status;
      },
      step: steps.step.bind(steps),
      gate: gates.gate.bind(gates),
      report: record.report.bind(record),
      audit: record.audit.bind(record),
      measure: record.measure.bind(record),
      pointOfNoReturn: steps.pointOfNoReturn.bind(steps),
      notify: (notice) => notices.send(notice.kind ?? 'info', notice.title, notice.text, notice.audience),
      waitUnlessAborted: steps.waitUnlessAborted.bind(steps),
      compensate: steps.compensate.bind(steps),
      get startProof() {
        return checks.trust.startProof;
      },
      countedApprovals: (gate) => {
        const nonces = new Set(gate.votes.filter((v) => v.decision === 'approve').flatMap((v) => (v.verified ? [v.verified.nonce] : [])));
        return checks.counted.filter((d) => approvalOf(d.statement, gate.name, nonces));
      },
      get abortProof() {
        return interventions.abortProof;
      },
      accept: checks.accept.bind(checks),
      requireRole: checks.requireRole.bind(checks),
      consume: checks.consume.bind(checks),
      asSignal: checks.asSignal.bind(checks),
    };
  }
}

/** Whether a signed statement is one of the approvals a gate counted (its text was verified when the vote counted). */
function approvalOf(statement: string, gate: string, nonces: ReadonlySet<string>): boolean {
  try {
    const parsed = JSON.parse(statement) as { kind?: unknown; nonce?: unknown; body?: { gate?: unknown } };
    return parsed.kind === 'approve' && parsed.body?.gate === gate && typeof parsed.nonce === 'string' && nonces.has(parsed.nonce);
  } catch {
    return false;
  }
}
