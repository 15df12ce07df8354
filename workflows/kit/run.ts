import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
  type ActivityInterfaceFor,
} from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time';
import type { KitActivities, NotificationKind } from '../../activities/kit-types';
import type { GateSpec, Objectives, RunbookDefinition, StepSpec } from './definition';
import { RunMetrics } from './metrics';
import { traceWait } from './trace';
import { drillProblems } from './objectives';
import { ErrorType, RunAborted } from './errors';
import { applyVote, approvalsOf, describeApprovers, refusalOf } from './gate-policy';
import { operatorsFor, type OperatorAction } from './authority';
import { StepMemory, type CarriedRun } from './carry-over';
import { announcedResetMarkers, RESET_NOTICED_PREFIX } from './lifecycle-interceptors';
import type { DecisionKind, SignedDecision } from './decisions/statement';
import { proofOf, verifySignedDecision, type RunIdentity, type Verdict, type VerifiedDecision } from './decisions/verify';
import {
  approveSignal,
  approveUpdate,
  GateDecision,
  interveneSignal,
  interveneUpdate,
  OperatorDecision,
  rejectSignal,
  rejectUpdate,
  statusQuery,
  type GateReceipt,
  type OperatorReceipt,
} from './messages';
import { publishSearchAttributes } from './publish-search-attributes';
import { backoffMs, retryPolicyOf } from './retry';
import { resolveApprovers, rosterDigest, type Roster } from './roster';
import { drillAttribute, requestedByAttribute, runbookAttribute, stateAttribute, targetAttribute } from './search-attributes';
import type {
  AuditEntry,
  DecisionProof,
  DrillMode,
  GateRecord,
  InterventionAction,
  Measurements,
  RunState,
  RunStatus,
  RunTrustStatus,
  StepRecord,
} from './status';

/** What a skippable step returns: its result, or undefined when an operator skipped it. */
export type StepResult<S extends StepSpec, T> = S extends { skippable: true } ? T | undefined : T;

/** What an undo is told: the state before the step, where the step reads it, and what the step returned. */
export interface UndoContext<B, T> {
  /**
   * What `before` read ahead of the step's first attempt. Undefined for a step without `before`, and in runs recorded
   * before the kit read it (they replay as they ran: the undo goes by `result`).
   */
  before: B | undefined;
  /** The step's result; undefined when the run was aborted (or the step skipped) before an attempt succeeded. */
  result: T | undefined;
}

/** Options of one step call. */
export interface StepOptions<A, T = unknown, B = never> {
  /**
   * Reads the state the step is about to change, once, before its first attempt. The last attempt cannot tell what was
   * there before: an attempt that acted and then lost its worker leaves the retry seeing its own work (already fenced,
   * already in manual mode), so an undo built from the retry would restore the step's own state. The read is an
   * activity of its own in the run's history, so retries and a replacement worker reuse it instead of reading again.
   * Once it is recorded the undo is registered, so an abort while the step is still failing, waiting for an operator or
   * after an operator skipped it also restores it: write undos that restore `before`, not ones that reverse the step.
   */
  before?: (activities: ActivityInterfaceFor<A>) => Promise<B>;
  /**
   * Run in reverse order if the run is aborted. Registered once `before` is recorded, or (without `before`) when the
   * step succeeds.
   */
  undo?: (activities: ActivityInterfaceFor<A>, seen: UndoContext<B, T>) => Promise<unknown>;
}

interface Undo<A> {
  spec: StepSpec;
  undo: (activities: ActivityInterfaceFor<A>) => Promise<unknown>;
}

const SYSTEM = 'lifeboat';
/** The name of the roster lookup a gate makes when it opens is the gate's name and this. */
const GATE_LOOKUP_SUFFIX = ':approvers';

/** Refused decisions beyond this many are only counted, so forged messages cannot grow the audit trail. */
const AUDITED_REFUSALS = 20;
/** The audit trail status carries; older entries (after the first) are dropped from status and counted. */
const MAX_AUDIT_ENTRIES = 500;
/** Temporal's default limits on one run's history, and the share of either at which status warns. */
const HISTORY_EVENT_LIMIT = 51_200;
const HISTORY_BYTE_LIMIT = 50 * 1024 * 1024;
const HISTORY_WARNING_SHARE = 0.6;
/** A run that may carry itself over does so at a gate past either of these, or when Temporal suggests it. */
const CARRY_OVER_EVENTS = 10_000;
const CARRY_OVER_BYTES = 10 * 1024 * 1024;

/**
 * What a run that takes only signed decisions knows: who it is (as statements name it), the roster it checks
 * signatures against, and the proof of its start, which a child run it starts (a live drill's failback) inherits.
 */
export interface RunTrust {
  readonly identity: RunIdentity;
  roster: Roster;
  start: RunTrustStatus['start'];
  startProof?: SignedDecision;
}

const kitActivities = proxyActivities<KitActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
});

/**
 * One execution of a runbook: its status and audit trail, its message handlers, and the
 * primitives a runbook workflow calls (`step`, `gate`). Created by `runRunbook`.
 */
export class Run<A> {
  readonly status: RunStatus;
  private readonly undos: Undo<A>[] = [];
  private openGate: GateRecord | undefined;
  private decision: OperatorDecision | undefined;
  private readonly usedNonces = new Set<string>();
  /** Steps done, by occurrence: what a run carries over to the run it continues as, and recalls from the one before. */
  private memory = new StepMemory();
  /** Set while a continued run replays its procedure up to the gate it was waiting at. */
  private resuming = false;
  private carryOverAllowed = false;
  private request: unknown;
  /** Verdicts of the current activation by signature, so a validator's check is not repeated by its handler. */
  private readonly verdicts = new Map<string, Verdict>();
  private readonly metrics: RunMetrics;
  /** The signed decisions behind the votes this run counted, carried over so the next run can check them again. */
  private countedDecisions: SignedDecision[] = [];
  /** The last gate passed by people's votes, which a reset run reopens before it acts again. */
  private lastPassedGate: GateSpec | undefined;
  /** Set at the point where Temporal reset the run, until the run has asked again for fresh decisions. */
  private resetPending = false;
  /** Workflow time when the run noticed Temporal's reset: decisions signed before it count no more. */
  private resetAtMs: number | undefined;
  private watchingResets = false;
  /** The run IDs whose reset this run has taken notice of. */
  private readonly resetsNoticed = new Set<string>();
  /** Set while an update's validator runs: a validator may not record anything, so it does not look for a reset. */
  private validating = false;

  constructor(
    private readonly definition: RunbookDefinition,
    target: string,
    requestedBy: string,
    drill?: DrillMode,
    objectives: Objectives = definition.objectives ?? {},
    /** Absent only for runs started before signed decisions existed, replayed with their old rules. */
    readonly trust?: RunTrust,
  ) {
    this.metrics = new RunMetrics(definition.id);
    const now = this.now();
    this.status = {
      runId: workflowInfo().workflowId,
      runbook: definition.id,
      title: definition.title,
      target,
      state: 'running',
      requestedBy,
      ...(drill ? { drill } : {}),
      ...(Object.keys(objectives).length > 0 ? { objectives } : {}),
      startedAt: now,
      updatedAt: now,
      steps: [],
      gates: [],
      compensation: [],
      details: {},
      audit: [],
      ...(trust
        ? {
            trust: {
              namespace: trust.identity.namespace,
              temporalRunId: trust.identity.runId,
              inputDigest: trust.identity.inputDigest,
              rosterDigest: rosterDigest(trust.roster),
              start: trust.start,
            },
          }
        : {}),
    };
  }

  /** Wires queries, signals and updates to this run. Called once, before the first step. */
  registerHandlers(): void {
    setHandler(statusQuery, () => this.status);
    for (const [signal, update, decision] of [
      [approveSignal, approveUpdate, 'approve'],
      [rejectSignal, rejectUpdate, 'reject'],
    ] as const) {
      setHandler(signal, (raw) => this.asSignal(decision, raw, () => this.decideGate(decision, this.gateVote(decision, raw))));
      setHandler(update, (raw) => this.decideGate(decision, this.gateVote(decision, raw)), {
        validator: (raw) => this.validate(() => this.gateRefusal(decision, this.gateVote(decision, raw))),
      });
    }
    setHandler(interveneSignal, (raw) => this.asSignal('intervene', raw, () => this.decideOperator(this.operatorDecision(raw))));
    setHandler(interveneUpdate, (raw) => this.decideOperator(this.operatorDecision(raw)), {
      validator: (raw) => this.validate(() => this.operatorRefusal(this.operatorDecision(raw))),
    });
    this.setSearchAttributes(true);
    this.metrics.entered(this.status.state);
    const start = this.trust?.start;
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

  /**
   * Checks a signed decision of one of `kinds` and returns it, or throws the refusal. Runs that take signed
   * decisions accept nothing else; the check is pure, so replay reaches the same verdict.
   */
  accept(kinds: readonly DecisionKind[], raw: unknown): VerifiedDecision {
    if (!this.validating) this.checkForReset();
    const trust = this.trust;
    if (!trust) throw ApplicationFailure.nonRetryable('this run predates signed decisions', ErrorType.DecisionRefused);
    const { signature, statement } = (raw ?? {}) as { signature?: unknown; statement?: unknown };
    // Keyed by everything the verdict depends on, so a forged copy of a real signature cannot share its verdict.
    const cacheKey = typeof signature === 'string' && typeof statement === 'string' ? `${Date.now()}:${kinds.join(',')}:${statement}:${signature}` : undefined;
    let verdict = cacheKey ? this.verdicts.get(cacheKey) : undefined;
    if (!verdict) {
      verdict = verifySignedDecision(kinds, raw, { ...trust.identity, nowMs: Date.now(), roster: trust.roster, used: this.usedNonces });
      if (this.verdicts.size > 32) this.verdicts.clear();
      if (cacheKey) this.verdicts.set(cacheKey, verdict);
    }
    if (!verdict.ok) throw new DecisionRefusal(verdict.reason, verdict.claimed);
    if (this.usedNonces.has(verdict.decision.nonce)) throw new DecisionRefusal('this signed decision was already used; sign a new one', verdict.decision.by);
    // Temporal reapplies signals that came after a reset point; signed before the reset, they count no more.
    if (this.resetAtMs !== undefined && Date.parse(verdict.decision.issuedAt) < this.resetAtMs) {
      throw new DecisionRefusal(
        `this decision was signed at ${verdict.decision.issuedAt}, before Temporal reset the run at ${new Date(this.resetAtMs).toISOString()}; a reset run counts no decision made before the reset, so sign a new one`,
        verdict.decision.by,
      );
    }
    return verdict.decision;
  }

  /** Marks a verified decision as used, once it has counted. */
  consume(decision: VerifiedDecision): void {
    this.usedNonces.add(decision.nonce);
  }

  /**
   * Refuses unless the roster puts `by` among those the runbook lets take `action`. Old runs (no trust) had no
   * roles, and keep none on replay.
   */
  requireRole(action: OperatorAction, by: string): void {
    if (!this.trust) return;
    const allowed = resolveApprovers(this.trust.roster, operatorsFor(this.definition, action)).eligible;
    if (!allowed.includes(by)) {
      const selector = operatorsFor(this.definition, action);
      const who = [...(selector.groups ?? []).map((g) => `group ${g}`), ...(selector.users ?? []).map((u) => `user ${u}`)].join(' or ');
      const what = action === 'task' ? 'close hands-on hosts in' : action;
      throw new DecisionRefusal(`${by} may not ${what} runs of ${this.definition.id}: it needs ${who}`, by);
    }
  }

  /** Records a refused decision: in the audit trail for the first few, always in the count. */
  recordRefusal(claimed: string, action: string, reason: string): void {
    const at = this.now();
    const count = (this.status.refused?.count ?? 0) + 1;
    this.status.refused = { count, lastAt: at, lastBy: claimed.slice(0, 64), lastReason: reason.slice(0, 300) };
    if (count <= AUDITED_REFUSALS) this.audit(claimed.slice(0, 64), `${action}-refused`, reason.slice(0, 300));
    else if (count === AUDITED_REFUSALS + 1)
      this.audit(SYSTEM, 'refusals-summarised', `more than ${AUDITED_REFUSALS} decisions refused; further ones are only counted in status`);
    else this.touch();
  }

  /** An update validator: refuses with the reason and records nothing (a refused update never enters history). */
  private validate(check: () => string | undefined): void {
    let reason: string | undefined;
    this.validating = true;
    try {
      reason = check();
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    } finally {
      this.validating = false;
    }
    if (reason) throw ApplicationFailure.nonRetryable(reason, ErrorType.DecisionRefused);
  }

  /**
   * Runs one step: the action's activities get the step's timeout, and the kit retries the
   * whole action with backoff. When retries run out, or the failure is non-retryable, the run
   * waits for an operator to retry, skip (where allowed) or abort. With `before`, the state the
   * step changes is read once ahead of the first attempt and handed to the undo (see {@link StepOptions}).
   */
  async step<S extends StepSpec, T, B = never>(
    spec: S,
    action: (activities: ActivityInterfaceFor<A>) => Promise<T>,
    options: StepOptions<A, T, B> = {},
  ): Promise<StepResult<S, T>> {
    this.throwIfAbortRequested();
    const { before, undo } = options;
    const key = this.memory.next(spec.name);
    const recalled = this.memory.recall(key);
    if (recalled) {
      // Done before this run carried itself over: recall it, and its undo, without acting again.
      if (recalled.skipped) return undefined as StepResult<S, T>;
      if (undo) this.undos.push({ spec, undo: (a) => undo(a, { before: recalled.before as B | undefined, result: recalled.result as T }) });
      return recalled.result as StepResult<S, T>;
    }
    this.resuming = false;
    this.checkForReset();
    if (this.resetPending && !isGateLookup(spec)) await this.decideAgainAfterReset(spec.name);
    const record = this.beginStep(spec.name, spec.title, 'step');
    const activities = this.guardedAgainstReset(spec, this.activitiesFor(spec));
    const retry = retryPolicyOf(spec.retry);
    // Runs recorded before the kit read the state first replay the old way: no read, undo from the result.
    const readsBefore = before !== undefined && patched('undo-restores-before');
    let seen: { before: B } | undefined;
    let done: { result: T } | undefined;
    for (let attemptInRound = 1; ; attemptInRound++) {
      record.attempts++;
      try {
        if (readsBefore && !seen) {
          seen = { before: await CancellationScope.nonCancellable(() => before(activities)) };
          this.audit(SYSTEM, 'state-before', `${spec.name}: ${JSON.stringify(seen.before)?.slice(0, 300)}`);
          if (undo) this.undos.push({ spec, undo: (a) => undo(a, { before: seen!.before, result: done?.result }) });
        }
        const result = await CancellationScope.nonCancellable(() => action(activities));
        done = { result };
        this.memory.remember(key, { result, ...(seen ? { before: seen.before } : {}) });
        this.endStep(record, 'succeeded');
        if (undo && !readsBefore) this.undos.push({ spec, undo: (a) => undo(a, { before: undefined, result }) });
        return result;
      } catch (err) {
        record.lastError = describeError(err);
        this.metrics.stepFailed(spec.name);
        this.touch();
        if (failureTypeOf(err) === ErrorType.UnknownTarget) {
          this.endStep(record, 'failed');
          throw err;
        }
        if (failureTypeOf(err) === ErrorType.ResetRefused) this.checkForReset();
        if (failureTypeOf(err) === ErrorType.ResetRefused && this.resetPending) {
          // Stopped before an activity after the reset, or scheduled before it and refused by the worker: ask again,
          // then run the step's action again from its start (its activities are safe to repeat; `before` is kept).
          await this.decideAgainAfterReset(spec.name);
          attemptInRound = 0;
          record.status = 'running';
          continue;
        }
        if (!isNonRetryable(err) && attemptInRound < retry.maximumAttempts) {
          record.status = 'retrying';
          this.metrics.stepRetried(spec.name, 'kit');
          await this.waitUnlessAborted(backoffMs(retry, attemptInRound));
          record.status = 'running';
          continue;
        }
        const choice = await this.awaitIntervention(spec, record);
        if (choice === 'skip') {
          this.memory.remember(key, { skipped: true });
          this.endStep(record, 'skipped');
          return undefined as StepResult<S, T>;
        }
        this.metrics.stepRetried(spec.name, 'operator');
        attemptInRound = 0;
        record.status = 'running';
      }
    }
  }

  /**
   * Opens an approval gate and waits for its policy to be met. Escalates on the policy's
   * schedule; on expiry aborts the run unless the policy says to proceed. A rejection aborts.
   */
  async gate(spec: GateSpec): Promise<void> {
    this.throwIfAbortRequested();
    const key = this.memory.next(`gate:${spec.name}`);
    if (this.memory.recall(key)) {
      this.lastPassedGate = spec;
      return;
    }
    if (this.status.drill?.approvals === 'policy') {
      this.approveByDrillPolicy(spec);
      this.memory.remember(key, { result: 'passed' });
      this.lastPassedGate = spec;
      return;
    }
    const eligible = await this.resolveEligible(spec);
    const { policy } = spec;
    // A run that carried itself over while waiting here reopens the same gate, votes, deadline and all.
    const carried = this.resuming ? this.status.gates.find((g) => g.name === spec.name && g.status === 'open') : undefined;
    this.resuming = false;
    const gate = carried ?? this.openNewGate(spec, eligible);
    const openedAt = Date.parse(gate.openedAt);
    const expiresAt = Date.parse(gate.expiresAt);
    this.openGate = gate;
    this.setState('waiting-approval');
    if (carried) this.audit(SYSTEM, 'continued-as-new', `carried over (${this.status.carriedOver}) while gate ${spec.name} waits; its votes stand`);
    else {
      this.audit(
        SYSTEM,
        'gate-opened',
        `${spec.name}: needs ${describeApprovers(gate)}${this.status.trust ? `; roster ${this.status.trust.rosterDigest}` : ''}`,
      );
      await this.notify(
        'approval-needed',
        `Approval needed: ${spec.title}`,
        `${describeApprovers(gate)}. Approve with: lifeboat approve ${this.status.runId}`,
        eligible,
      );
    }

    let nextEscalation = openedAt + msToNumber(policy.escalateAfter) + gate.escalations * msToNumber(policy.escalateEvery);
    while (gate.status === 'open' && !this.status.abortRequested) {
      const wakeAt = Math.min(nextEscalation, expiresAt);
      const decided = await condition(
        () => gate.status !== 'open' || this.status.abortRequested !== undefined || this.shouldCarryOver(),
        Math.max(1, wakeAt - Date.now()),
      );
      if (decided && gate.status === 'open' && !this.status.abortRequested && this.shouldCarryOver()) await this.carryOver();
      if (decided) break;
      if (Date.now() >= expiresAt) {
        gate.status = 'expired';
        gate.decidedAt = this.now();
        this.audit(SYSTEM, 'gate-expired', `${spec.name}: ${approvalsOf(gate)}/${gate.quorum} approvals; policy says ${policy.onExpiry}`);
        break;
      }
      gate.escalations++;
      this.metrics.gateEscalated(spec.name);
      nextEscalation += msToNumber(policy.escalateEvery);
      this.audit(SYSTEM, 'gate-escalated', `${spec.name}: escalation ${gate.escalations}, ${approvalsOf(gate)}/${gate.quorum} approvals`);
      const undelivered = this.status.notifications?.lastFailure;
      await this.notify(
        'escalation',
        `Still waiting for approval: ${spec.title}`,
        `Escalation ${gate.escalations}: ${approvalsOf(gate)} of ${gate.quorum} approvals; the gate expires at ${gate.expiresAt}.${
          undelivered ? ` An earlier notification was not delivered (${undelivered.kind}: ${undelivered.error}).` : ''
        }`,
        eligible,
      );
    }
    this.finishGate(spec, gate, key);
  }

  private openNewGate(spec: GateSpec, eligible: string[]): GateRecord {
    const { policy } = spec;
    const openedAt = Date.now();
    const expiresAt = openedAt + msToNumber(policy.expireAfter);
    const gate: GateRecord = {
      name: spec.name,
      title: spec.title,
      status: 'open',
      openedAt: new Date(openedAt).toISOString(),
      quorum: policy.quorum,
      approvers: policy.approvers,
      eligible,
      votes: [],
      escalations: 0,
      expiresAt: new Date(expiresAt).toISOString(),
      onExpiry: policy.onExpiry,
    };
    this.status.gates.push(gate);
    return gate;
  }

  /** Ends a gate's wait: a gate left open by an abort is closed; a rejection or an expiry that says so aborts. */
  private finishGate(spec: GateSpec, gate: GateRecord, key: string): void {
    const { policy } = spec;
    this.openGate = undefined;
    if (gate.status === 'open') {
      // Aborted while waiting: the gate is closed, so status offers no vote on it any more.
      gate.status = 'closed';
      gate.decidedAt = this.now();
    }
    this.metrics.gateClosed(gate.name, gate.status, Date.now() - Date.parse(gate.openedAt));
    traceWait(`gate:${gate.name}`, Date.parse(gate.openedAt), Date.now(), {
      'lifeboat.runbook': this.status.runbook,
      'lifeboat.gate': gate.name,
      'lifeboat.gate.outcome': gate.status,
      'lifeboat.gate.approvals': approvalsOf(gate),
      'lifeboat.gate.quorum': gate.quorum,
      'lifeboat.gate.escalations': gate.escalations,
    });
    this.throwIfAbortRequested();
    if (gate.status === 'rejected') {
      const rejection = gate.votes.find((v) => v.decision === 'reject')!;
      throw new RunAborted(`gate "${spec.name}" rejected by ${rejection.by}${rejection.comment ? `: ${rejection.comment}` : ''}`, rejection.by);
    }
    if (gate.status === 'expired' && policy.onExpiry === 'abort') {
      throw new RunAborted(`gate "${spec.name}" expired without ${describeApprovers(gate)}`, SYSTEM);
    }
    this.memory.remember(key, { result: 'passed' });
    if (gate.status === 'approved') {
      this.lastPassedGate = spec;
      // Its votes all came after any reset (those before were dropped), so they cover the steps that follow.
      this.resetPending = false;
    }
    this.setState('running');
  }

  /**
   * Lets the run carry itself over (continue-as-new) once its history nears Temporal's limits while it waits at a
   * gate, as a flood of forged signals would make it; only runbooks whose procedure before their gates is made of kit
   * steps allow it ({@link RunbookDefinition.carryOver}), since the next run replays it from the step results.
   */
  configureCarryOver(request: unknown, carried: CarriedRun | undefined): void {
    this.request = request;
    this.carryOverAllowed = this.definition.carryOver === true && patched('carry-over');
    if (!carried) return;
    Object.assign(this.status, carried.status, { carriedOver: carried.count });
    for (const nonce of carried.usedNonces) this.usedNonces.add(nonce);
    this.countedDecisions = [...(carried.decisions ?? [])];
    this.memory = new StepMemory(carried.steps);
    this.resuming = true;
  }

  private shouldCarryOver(): boolean {
    if (!this.carryOverAllowed) return false;
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > CARRY_OVER_EVENTS || info.historySize > CARRY_OVER_BYTES;
  }

  /** Continues as a new run of the same workflow ID with what it needs to pick up at this gate. Never returns. */
  private async carryOver(): Promise<never> {
    await condition(allHandlersFinished);
    const count = (this.status.carriedOver ?? 0) + 1;
    const { historyLength, historySize } = workflowInfo();
    this.audit(SYSTEM, 'carrying-over', `history at ${historyLength} events, ${(historySize / 1048576).toFixed(1)} MiB: continuing as a new run (${count})`);
    const carried: CarriedRun = {
      status: { ...this.status, carriedOver: count },
      steps: this.memory.done,
      usedNonces: [...this.usedNonces],
      ...(this.trust ? { roster: this.trust.roster } : {}),
      ...(this.trust?.startProof ? { startProof: this.trust.startProof } : {}),
      decisions: this.countedDecisions,
      count,
    };
    return continueAsNew<(request: unknown) => Promise<unknown>>({ ...(this.request as object), carried });
  }

  /**
   * Watches for Temporal's reset of this run (`temporal workflow reset`). Called by the kit for runs that check their
   * lifecycle; runs recorded before replay as they ran.
   */
  watchForReset(): void {
    this.watchingResets = true;
  }

  /**
   * Notices that Temporal reset this run. A reset run has a new run ID but keeps the one its history started with;
   * what must be decided deterministically is *where* it takes notice. The first point the run reaches live under a
   * run ID it has not noticed, it records a marker (`patched`) naming that run; on every replay Temporal announces the
   * marker in the task that recorded it, and the run asks for it there (see lifecycle-interceptors.ts), so a worker
   * restart, a replayer or a second reset all take notice at the same places. Called where a decision arrives and
   * before a step acts.
   */
  private checkForReset(): void {
    if (!this.watchingResets) return;
    for (const marker of announcedResetMarkers()) {
      const runId = marker.slice(RESET_NOTICED_PREFIX.length);
      if (!this.resetsNoticed.has(runId) && patched(marker)) this.noticeReset(runId);
    }
    const info = workflowInfo();
    if (info.unsafe.isReplaying || info.runId === info.originalExecutionRunId || this.resetsNoticed.has(info.runId)) return;
    if (patched(`${RESET_NOTICED_PREFIX}${info.runId}`)) this.noticeReset(info.runId);
  }

  /**
   * A reset keeps the history before its point, approvals included, and runs the procedure again from there. None of
   * those approvals may move anything now: the open gate loses its votes, and before the next step acts the run asks
   * again for the last gate people passed. A run reset before anyone approved anything ends without acting again.
   */
  private noticeReset(runId: string): void {
    this.resetsNoticed.add(runId);
    const stepsRun = this.status.steps.filter((s) => s.status === 'succeeded' && s.kind === 'step' && !isGateLookup(s)).map((s) => s.name);
    let votesVoided = 0;
    for (const gate of this.status.gates) {
      if (gate.status !== 'open') continue;
      votesVoided += gate.votes.length;
      gate.votes = [];
    }
    this.resetPending = true;
    this.resetAtMs = Date.now();
    const next = this.lastPassedGate
      ? `gate ${this.lastPassedGate.name} opens again and waits for fresh signatures before the next step`
      : this.openGate
        ? `gate ${this.openGate.name} waits for fresh signatures`
        : 'no approval was given before the reset, so the run acts no more; start a new run';
    this.status.reset = { at: this.now(), stepsRun, votesVoided, next };
    this.audit(
      SYSTEM,
      'reset',
      `Temporal reset this run; decisions made before the reset no longer count (${votesVoided} open votes dropped); steps already run: ${stepsRun.join(', ') || 'none'}; ${next}`,
    );
  }

  /** After a reset, before `stepName` acts: reopen the last gate people passed, or end the run if there is none. */
  private async decideAgainAfterReset(stepName: string): Promise<void> {
    this.resetPending = false;
    const gate = this.lastPassedGate;
    if (!gate) {
      throw ApplicationFailure.nonRetryable(
        `Temporal reset this run, and no approval given after the reset covers step ${stepName}; a reset run does not act on its old start: start a new run`,
        ErrorType.ResetRefused,
      );
    }
    this.audit(SYSTEM, 'gate-reopened', `${gate.name}: Temporal reset the run, so step ${stepName} waits for fresh approvals`);
    await this.gate(gate);
  }

  /**
   * Marks the step after which undoing is no longer safe: the registered undos are dropped, and an
   * abort from here on ends the run without them, pointing at `undoInstead` (a failback runbook).
   */
  pointOfNoReturn(stepName: string, undoInstead: string): void {
    this.undos.length = 0;
    this.status.pointOfNoReturn = { step: stepName, at: this.now(), undoInstead };
    this.audit(SYSTEM, 'point-of-no-return', `after ${stepName}; to go back: ${undoInstead}`);
  }

  /** Records what the run measured against its objectives; later values add to earlier ones. */
  measure(measurements: Measurements): void {
    this.status.measurements = { ...this.status.measurements, ...measurements };
    this.touch();
  }

  /** In a drill whose policy approves, the gate is recorded as approved by the policy, not by a person. */
  private approveByDrillPolicy(spec: GateSpec): void {
    const at = this.now();
    this.status.gates.push({
      name: spec.name,
      title: spec.title,
      status: 'approved',
      openedAt: at,
      decidedAt: at,
      quorum: spec.policy.quorum,
      approvers: spec.policy.approvers,
      eligible: [],
      votes: [{ by: 'drill-policy', decision: 'approve', at }],
      escalations: 0,
      expiresAt: at,
      onExpiry: spec.policy.onExpiry,
    });
    this.audit('drill-policy', 'approved', `gate ${spec.name}: approved by the drill's policy, no person asked`);
  }

  /** Publishes a fact for status (progress, measurements); the latest value per key wins. */
  report(key: string, value: unknown): void {
    this.status.details[key] = value;
    this.touch();
  }

  /**
   * Runs the registered undos in reverse, each as a step. An undo that keeps failing waits for an operator, who
   * retries it (after fixing what blocks it) or skips it; a skipped undo is reported as failed, never swallowed.
   */
  async compensate(): Promise<void> {
    if (this.undos.length === 0) return;
    this.setState('compensating');
    while (this.undos.length > 0) {
      const { spec, undo } = this.undos.pop()!;
      const record = this.beginStep(`undo:${spec.name}`, `Undo: ${spec.undo ?? spec.title}`, 'undo');
      const retry = retryPolicyOf(spec.retry);
      for (let attempt = 1; ; attempt++) {
        record.attempts++;
        try {
          await CancellationScope.nonCancellable(() => undo(this.activitiesFor(spec)));
          this.endStep(record, 'succeeded');
          this.status.compensation.push({ step: spec.name, status: 'succeeded' });
          break;
        } catch (err) {
          record.lastError = describeError(err);
          this.metrics.stepFailed(record.name);
          if ((isNonRetryable(err) || attempt >= retry.maximumAttempts) && patched('undo-needs-operator')) {
            if ((await this.awaitUndoIntervention(record)) === 'retry') {
              this.metrics.stepRetried(record.name, 'operator');
              attempt = 0;
              continue;
            }
          }
          if (isNonRetryable(err) || attempt >= retry.maximumAttempts) {
            this.endStep(record, 'failed');
            this.status.compensation.push({ step: spec.name, status: 'failed', error: record.lastError });
            this.audit(SYSTEM, 'undo-failed', `${spec.name}: ${record.lastError}`);
            break;
          }
          await CancellationScope.nonCancellable(() => condition(() => false, backoffMs(retry, attempt)));
        }
      }
    }
  }

  /** Ends the run in a final state and tells the channel. */
  async finish(state: Extract<RunState, 'succeeded' | 'failed' | 'aborted'>, outcome: string): Promise<void> {
    this.status.outcome = outcome;
    this.status.finishedAt = this.now();
    this.status.currentStep = undefined;
    this.setState(state);
    this.audit(SYSTEM, `run-${state}`, outcome);
    const failedUndos = this.status.compensation.filter((c) => c.status === 'failed');
    const rollback = failedUndos.length > 0 ? ` ROLLBACK INCOMPLETE: ${failedUndos.map((c) => `${c.step} (${c.error})`).join('; ')}` : '';
    await this.notify('run-finished', `${this.status.runbook} on ${this.status.target}: ${state}`, `${outcome}.${rollback}`);
    if (this.status.drill) {
      const problems = drillProblems(this.status);
      this.report('drillResult', problems.length === 0 ? 'passed' : { failed: problems });
      if (problems.length > 0) {
        await this.notify('drill-failed', `Drill did not pass: ${this.status.runbook} on ${this.status.target}`, problems.join('; '));
      }
    }
  }

  /** Records an entry of the audit trail. */
  audit(actor: string, action: string, detail?: string, comment?: string, verified?: DecisionProof): void {
    // A continued run replaying its procedure would repeat lines the carried trail already holds.
    if (this.resuming) return;
    const entry: AuditEntry = { at: this.now(), actor, action };
    if (detail !== undefined) entry.detail = detail;
    if (comment) entry.comment = comment;
    if (verified) entry.verified = verified;
    this.status.audit.push(entry);
    // The trail in status stays small whatever arrives; the history keeps every decision for `lifeboat verify`.
    if (this.status.audit.length > MAX_AUDIT_ENTRIES) {
      const drop = this.status.audit.length - MAX_AUDIT_ENTRIES;
      this.status.audit.splice(1, drop);
      this.status.auditDropped = (this.status.auditDropped ?? 0) + drop;
    }
    this.touch();
  }

  /** The vote a gate message carries: a verified signed decision, or (old runs only) the unsigned shape. */
  private gateVote(decision: 'approve' | 'reject', raw: unknown): SignedVote {
    if (!this.trust) return GateDecision.parse(raw);
    const verified = this.accept([decision], raw);
    const { gate, comment } = verified.body;
    if (typeof gate !== 'string') throw new DecisionRefusal(`a signed ${decision} must name the gate it answers`, verified.by);
    return { by: verified.by, gate, ...(typeof comment === 'string' && comment ? { comment } : {}), verified, signed: raw as SignedDecision };
  }

  private gateRefusal(decision: 'approve' | 'reject', vote: SignedVote): string | undefined {
    return refusalOf(decision, vote, this.openGate, this.status);
  }

  private decideGate(decision: 'approve' | 'reject', vote: SignedVote): GateReceipt {
    const refusal = this.gateRefusal(decision, vote);
    if (refusal) throw new DecisionRefusal(refusal, vote.by);
    const gate = this.openGate!;
    const proof = vote.verified ? proofOf(vote.verified) : undefined;
    if (vote.verified) this.consume(vote.verified);
    if (vote.signed) this.countedDecisions.push(vote.signed);
    applyVote(gate, decision, vote, this.now(), proof);
    this.audit(
      vote.by,
      decision === 'approve' ? 'approved' : 'rejected',
      `gate ${gate.name}: ${approvalsOf(gate)}/${gate.quorum} approvals`,
      vote.comment,
      proof,
    );
    return { gate: gate.name, status: gate.status, approvals: approvalsOf(gate), quorum: gate.quorum };
  }

  /** The operator decision a message carries: verified and signed, or (old runs only) the unsigned shape. */
  private operatorDecision(raw: unknown): SignedOperatorDecision {
    if (!this.trust) return OperatorDecision.parse(raw);
    const verified = this.accept(['retry', 'skip', 'abort', 'cancel'], raw);
    const { step, reason } = verified.body;
    return {
      action: verified.kind as OperatorDecision['action'],
      by: verified.by,
      ...(typeof reason === 'string' && reason ? { reason } : {}),
      ...(typeof step === 'string' ? { step } : {}),
      verified,
    };
  }

  /** Why an operator decision cannot be taken now, or undefined when it can. */
  private operatorRefusal(decision: SignedOperatorDecision): string | undefined {
    const { state } = this.status;
    if (state === 'succeeded' || state === 'failed' || state === 'aborted') return `the run has already finished (${state})`;
    if (this.trust) {
      try {
        this.requireRole(decision.action, decision.by);
      } catch (err) {
        return (err as Error).message;
      }
    }
    if (decision.action === 'abort' || decision.action === 'cancel') {
      if (state === 'compensating' || this.status.abortRequested) return 'the run is already aborting';
      return undefined;
    }
    const pending = this.status.intervention;
    if (state !== 'needs-intervention' || !pending) return `no step is waiting for an operator; the run is ${state}`;
    if (this.trust && decision.step !== pending.step) {
      return `the decision answers step "${decision.step ?? '(none)'}", but the step waiting for an operator is "${pending.step}"`;
    }
    if (!pending.options.includes(decision.action)) {
      return `step "${pending.step}" may not be skipped; choose ${pending.options.filter((o) => o !== 'skip').join(' or ')}`;
    }
    return undefined;
  }

  private decideOperator(decision: SignedOperatorDecision): OperatorReceipt {
    const { state } = this.status;
    const refusal = this.operatorRefusal(decision);
    if (refusal) throw new DecisionRefusal(refusal, decision.by);
    const proof = decision.verified ? proofOf(decision.verified) : undefined;
    if (decision.verified) this.consume(decision.verified);
    if (decision.action === 'abort' || decision.action === 'cancel') {
      this.status.abortRequested = { by: decision.by, at: this.now(), ...(decision.reason ? { reason: decision.reason } : {}) };
      if (state === 'needs-intervention') this.decision = { action: 'abort', by: decision.by, ...(decision.reason ? { reason: decision.reason } : {}) };
      this.audit(decision.by, decision.action, this.status.currentStep ? `requested during ${this.status.currentStep}` : undefined, decision.reason, proof);
      return { action: decision.action, step: this.status.currentStep, state };
    }
    const pending = this.status.intervention!;
    this.decision = decision;
    this.audit(decision.by, decision.action, `step ${pending.step}`, decision.reason, proof);
    return { action: decision.action, step: pending.step, state };
  }

  /**
   * Applies a decision that came as a signal. A signal cannot answer, so a refusal (bad signature, no role, wrong
   * gate, a malformed payload) is recorded: one audit line for the first few, a count for the rest.
   */
  asSignal(name: string, raw: unknown, apply: () => unknown): void {
    try {
      apply();
    } catch (err) {
      const claimed = err instanceof DecisionRefusal ? err.claimed : actorOf(raw);
      const reason = err instanceof DecisionRefusal ? err.message : `malformed payload: ${describeError(err)}`;
      this.recordRefusal(claimed, name, reason);
    }
  }

  /** A failed undo waits for an operator: retry it, or skip it and leave it reported as not undone. */
  private async awaitUndoIntervention(record: StepRecord): Promise<'retry' | 'skip'> {
    this.status.intervention = { step: record.name, error: record.lastError ?? 'unknown error', since: this.now(), options: ['retry', 'skip'] };
    record.status = 'needs-intervention';
    this.setState('needs-intervention');
    this.audit(SYSTEM, 'intervention-needed', `${record.name}: ${record.lastError}`);
    this.metrics.interventionOpened(record.name);
    await this.notify(
      'intervention-needed',
      `Undo failed: ${record.title}`,
      `${record.lastError}\nThe run is rolling back and cannot finish this undo by itself. Choose: lifeboat retry ${this.status.runId} | lifeboat skip ${this.status.runId}`,
    );
    await condition(() => this.decision !== undefined);
    const choice = this.decision!.action === 'retry' ? 'retry' : 'skip';
    this.decision = undefined;
    this.traceIntervention(this.status.intervention, choice);
    this.status.intervention = undefined;
    record.status = 'running';
    this.setState('compensating');
    return choice;
  }

  private async awaitIntervention(spec: StepSpec, record: StepRecord): Promise<Exclude<InterventionAction, 'abort'>> {
    const options: InterventionAction[] = spec.skippable ? ['retry', 'skip', 'abort'] : ['retry', 'abort'];
    this.status.intervention = { step: spec.name, error: record.lastError ?? 'unknown error', since: this.now(), options };
    record.status = 'needs-intervention';
    this.setState('needs-intervention');
    this.audit(SYSTEM, 'intervention-needed', `${spec.name}: ${record.lastError}`);
    this.metrics.interventionOpened(spec.name);
    if (!this.status.abortRequested) {
      await this.notify(
        'intervention-needed',
        `Step failed: ${spec.title}`,
        `${record.lastError}\nChoose: ${options.map((o) => `lifeboat ${o} ${this.status.runId}`).join(' | ')}`,
      );
    }
    await condition(() => this.decision !== undefined || this.status.abortRequested !== undefined);
    const decision = this.decision;
    this.decision = undefined;
    this.traceIntervention(this.status.intervention, decision?.action ?? 'abort');
    this.status.intervention = undefined;
    if (!decision || decision.action === 'abort') {
      this.endStep(record, 'failed');
      this.throwIfAbortRequested();
    }
    this.setState('running');
    return decision!.action as Exclude<InterventionAction, 'abort'>;
  }

  /** Adds the wait for an operator that just ended to the run's trace. */
  private traceIntervention(intervention: RunStatus['intervention'], decision: string): void {
    if (!intervention) return;
    traceWait(`intervention:${intervention.step}`, Date.parse(intervention.since), Date.now(), {
      'lifeboat.runbook': this.status.runbook,
      'lifeboat.step': intervention.step,
      'lifeboat.intervention.decision': decision,
    });
  }

  /**
   * Reads the roster on the worker when the gate opens, so a change of who is on call applies to
   * the next gate. A policy nobody can satisfy goes to an operator instead of waiting until expiry.
   */
  private async resolveEligible(spec: GateSpec): Promise<string[]> {
    const rosterStep: StepSpec = {
      kind: 'step',
      name: `${spec.name}${GATE_LOOKUP_SUFFIX}`,
      title: `Find who may approve ${spec.name}`,
      retry: { maximumAttempts: 2 },
    };
    return this.step(rosterStep, async () => {
      const roster = await kitActivities.loadRoster();
      if (this.trust) this.useRoster(roster);
      const { eligible, unknown } = resolveApprovers(roster, spec.policy.approvers);
      // A person without a key or passkey cannot sign, so cannot count towards a quorum of a run that takes signed decisions.
      const canSign = (id: string) => roster.people.some((x) => x.id === id && x.keys.length + (x.passkeys?.length ?? 0) > 0);
      const candidates = eligible.filter((p) => p !== this.status.requestedBy && (!this.trust || canSign(p)));
      if (candidates.length < spec.policy.quorum) {
        const missing = unknown.length > 0 ? `; the roster lacks ${unknown.join(', ')}` : '';
        throw ApplicationFailure.nonRetryable(
          `gate "${spec.name}" needs ${spec.policy.quorum} approver(s) but only ${candidates.length} eligible person(s) besides the requester are on the roster (${candidates.join(', ') || 'none'})${missing}. Fix the roster, then retry`,
          ErrorType.RosterInvalid,
        );
      }
      if (unknown.length > 0) this.audit(SYSTEM, 'roster-warning', `gate ${spec.name} names ${unknown.join(', ')}, which the roster lacks`);
      return candidates;
    });
  }

  /** Checks decisions against this roster from now on, and says so in status (the digest an auditor compares). */
  private useRoster(roster: Roster): void {
    if (!this.trust || !this.status.trust) return;
    this.trust.roster = roster;
    this.status.trust.rosterDigest = rosterDigest(roster);
  }

  private throwIfAbortRequested(): void {
    const abort = this.status.abortRequested;
    if (abort) throw new RunAborted(`aborted by ${abort.by}${abort.reason ? `: ${abort.reason}` : ''}`, abort.by);
  }

  private async waitUnlessAborted(ms: number): Promise<void> {
    await condition(() => this.status.abortRequested !== undefined, ms);
    this.throwIfAbortRequested();
  }

  /**
   * A step's activities, each of which first looks for a reset: a reset point can fall between two activities of one
   * step (its `before` read and its action, or two calls of the action), and none may act after a reset until people
   * decided again. Throws the reset refusal, which `step` answers by reopening the last passed gate.
   */
  private guardedAgainstReset(spec: StepSpec, activities: ActivityInterfaceFor<A>): ActivityInterfaceFor<A> {
    if (!this.watchingResets || isGateLookup(spec)) return activities;
    return new Proxy(activities, {
      get: (target, name, receiver) => {
        const call = Reflect.get(target, name, receiver) as unknown;
        if (typeof call !== 'function') return call;
        return (...args: unknown[]) => {
          this.checkForReset();
          if (this.resetPending) {
            throw ApplicationFailure.nonRetryable(
              `Temporal reset this run before step ${spec.name} acted again; it waits for fresh approvals`,
              ErrorType.ResetRefused,
            );
          }
          return (call as (...a: unknown[]) => unknown)(...args);
        };
      },
    });
  }

  private activitiesFor(spec: StepSpec): ActivityInterfaceFor<A> {
    return proxyActivities<A>({
      startToCloseTimeout: spec.timeout ?? '1 minute',
      ...(spec.heartbeatTimeout ? { heartbeatTimeout: spec.heartbeatTimeout } : {}),
      retry: spec.activityRetry ? retryPolicyOf(spec.activityRetry) : { maximumAttempts: 1 },
    });
  }

  private beginStep(name: string, title: string, kind: StepRecord['kind']): StepRecord {
    const record: StepRecord = { name, title, kind, status: 'running', startedAt: this.now(), attempts: 0 };
    this.status.steps.push(record);
    this.status.currentStep = name;
    this.touch();
    return record;
  }

  private endStep(record: StepRecord, status: StepRecord['status']): void {
    record.status = status;
    record.finishedAt = this.now();
    record.durationMs = Date.parse(record.finishedAt) - Date.parse(record.startedAt);
    this.audit(SYSTEM, `step-${status}`, `${record.name} after ${record.attempts} attempt${record.attempts === 1 ? '' : 's'}`);
  }

  private setState(state: RunState): void {
    if (this.status.state === state) return;
    this.status.state = state;
    this.metrics.entered(state);
    this.touch();
    this.setSearchAttributes(false);
  }

  private setSearchAttributes(all: boolean): void {
    publishSearchAttributes([
      { key: stateAttribute, value: this.status.state },
      ...(all
        ? [
            { key: runbookAttribute, value: this.status.runbook },
            { key: targetAttribute, value: this.status.target },
            { key: requestedByAttribute, value: this.status.requestedBy },
            ...(this.status.drill ? [{ key: drillAttribute, value: this.status.drill.kind }] : []),
          ]
        : []),
    ]);
  }

  /**
   * Tells the channel. A delivery that failed, wholly or on a channel a backup then covered, is shown in status and
   * audited, and the next escalation names it: a webhook that is down must never mean that nobody knows.
   */
  private async notify(kind: NotificationKind, title: string, text: string, audience?: string[]): Promise<void> {
    try {
      const receipt = await CancellationScope.nonCancellable(() =>
        kitActivities.notify({
          kind,
          runId: this.status.runId,
          runbook: this.status.runbook,
          target: this.status.target,
          state: this.status.state,
          title: this.status.drill ? `[DRILL ${this.status.drill.kind}] ${title}` : title,
          text,
          ...(audience ? { audience } : {}),
        }),
      );
      if (receipt && receipt.failed.length > 0) {
        const error = receipt.failed.map((f) => `${f.channel}: ${f.error}`).join('; ');
        this.noteNotificationFailure(kind, `delivered by ${receipt.deliveredBy} after ${error}`, false);
      }
    } catch (err) {
      this.noteNotificationFailure(kind, describeError(err), true);
    }
  }

  private noteNotificationFailure(kind: NotificationKind, error: string, undelivered: boolean): void {
    const record = { kind, at: this.now(), error: error.slice(0, 500), undelivered };
    const previous = this.status.notifications;
    this.status.notifications = {
      failures: (previous?.failures ?? 0) + 1,
      ...(undelivered ? { lastFailure: record } : previous?.lastFailure ? { lastFailure: previous.lastFailure } : {}),
      last: record,
    };
    this.audit(SYSTEM, undelivered ? 'notification-failed' : 'notification-degraded', `${kind}: ${record.error}`);
  }

  private touch(): void {
    this.status.updatedAt = this.now();
    this.watchHistory();
  }

  /**
   * Publishes how much of Temporal's history limits the run has used, and warns once (status, audit, a
   * notification) when it passes {@link HISTORY_WARNING_SHARE} of either: a flood of signals is the usual cause.
   */
  private watchHistory(): void {
    const { historyLength: events, historySize: bytes } = workflowInfo();
    const share = Math.max(events / HISTORY_EVENT_LIMIT, bytes / HISTORY_BYTE_LIMIT);
    const warning =
      share >= HISTORY_WARNING_SHARE
        ? `the run's history is at ${Math.round(share * 100)}% of Temporal's limit (${events} events, ${(bytes / 1048576).toFixed(1)} MiB); Temporal ends a run at the limit, so finish or abort it soon`
        : undefined;
    const warnedBefore = this.status.history?.warning !== undefined;
    this.status.history = { events, bytes, ...(warning ? { warning } : {}) };
    if (warning && !warnedBefore) {
      this.status.audit.push({ at: this.now(), actor: SYSTEM, action: 'history-warning', detail: warning });
      void this.notify('escalation', `Run near its history limit: ${this.status.runbook} on ${this.status.target}`, warning);
    }
  }

  private now(): string {
    return new Date(Date.now()).toISOString();
  }
}

/** The roster lookup a gate makes when it opens: read-only, and part of asking people again after a reset. */
function isGateLookup(step: { name: string }): boolean {
  return step.name.endsWith(GATE_LOOKUP_SUFFIX);
}

/** Whether retrying will not help: an activity that said so, or a workflow-side cancellation. */
function isNonRetryable(err: unknown): boolean {
  if (isCancellation(err)) return true;
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.nonRetryable === true;
}

/** The type of the application failure behind an activity failure, if any. */
function failureTypeOf(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/** The message an operator needs, from the innermost cause of an activity failure. */
export function describeError(err: unknown): string {
  let current: unknown = err;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  if (current instanceof Error) return current.message || current.name;
  return String(current);
}

function actorOf(raw: unknown): string {
  const by = (raw as { by?: unknown } | undefined)?.by;
  return typeof by === 'string' && by.trim() ? by.slice(0, 64) : 'unknown';
}

/** A vote as the kit counts it, with the verified decision behind it when it was signed. */
type SignedVote = GateDecision & { verified?: VerifiedDecision; signed?: SignedDecision };
type SignedOperatorDecision = OperatorDecision & { step?: string; verified?: VerifiedDecision };

/**
 * A decision the run refuses. Thrown from validators and handlers; an update caller sees the message, a signal
 * leaves an audit line under the name it claimed.
 */
export class DecisionRefusal extends ApplicationFailure {
  constructor(
    message: string,
    readonly claimed: string,
  ) {
    super(message, ErrorType.DecisionRefused, true);
  }
}
