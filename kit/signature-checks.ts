import { ApplicationFailure } from '@temporalio/workflow';
import { operatorsFor } from './authority';
import type { DecisionKind, SignedDecision } from './decisions/statement';
import { verifySignedDecision, type RunIdentity, type Verdict, type VerifiedDecision } from './decisions/verify';
import type { OperatorAction, RunbookDefinition } from './definition';
import { DecisionRefusal, describeError, ErrorType } from './errors';
import { resolveApprovers, type Roster } from './roster';
import { SYSTEM, type RunRecord } from './run-record';
import type { RunTrust } from './run-trust';

/** Refused decisions beyond this many are only counted, so forged messages cannot grow the audit trail. */
const AUDITED_REFUSALS = 20;

/** What the checks ask of the run's reset handling: a decision signed before Temporal reset the run counts no more. */
export interface ResetClock {
  /** Looks for a reset of the run, once a decision has arrived. */
  check(): void;
  /** Workflow time when the run noticed Temporal's reset, if it did. */
  readonly resetAtMs: number | undefined;
}

/**
 * The signature checks of a run: every decision that arrives (a vote, an operator's choice, a runbook's own message)
 * is checked against the roster's keys, once; the nonces it used are remembered, and what is refused is recorded.
 */
export class SignatureChecks {
  private readonly usedNonces = new Set<string>();
  /** Verdicts of the current activation by signature, so a validator's check is not repeated by its handler. */
  private readonly verdicts = new Map<string, Verdict>();
  /** The signed decisions behind the votes this run counted, carried over so the next run can check them again. */
  counted: SignedDecision[] = [];
  /** Set while an update's validator runs: a validator may not record anything, so it does not look for a reset. */
  private validating = false;

  constructor(
    private readonly record: RunRecord,
    private readonly definition: RunbookDefinition,
    readonly trust: RunTrust,
    private readonly resets: ResetClock,
  ) {}

  /**
   * Checks a signed decision of one of `kinds` and returns it, or throws the refusal. A run accepts nothing else;
   * the check is pure, so replay reaches the same verdict.
   */
  accept(kinds: readonly DecisionKind[], raw: unknown): VerifiedDecision {
    if (!this.validating) this.resets.check();
    const trust = this.trust;
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
    const resetAtMs = this.resets.resetAtMs;
    if (resetAtMs !== undefined && Date.parse(verdict.decision.issuedAt) < resetAtMs) {
      throw new DecisionRefusal(
        `this decision was signed at ${verdict.decision.issuedAt}, before Temporal reset the run at ${new Date(resetAtMs).toISOString()}; a reset run counts no decision made before the reset, so sign a new one`,
        verdict.decision.by,
      );
    }
    return verdict.decision;
  }

  /** Marks a verified decision as used, once it has counted. */
  consume(decision: VerifiedDecision): void {
    this.usedNonces.add(decision.nonce);
  }

  /** The nonces of every decision this run used, for the run it continues as. */
  get nonces(): string[] {
    return [...this.usedNonces];
  }

  /** Takes over what a run that carried itself over had used and counted. */
  carryOverFrom(nonces: readonly string[], counted: readonly SignedDecision[]): void {
    for (const nonce of nonces) this.usedNonces.add(nonce);
    this.counted = [...counted];
  }

  /**
   * Refuses unless the roster puts `by` among those the runbook lets take `action`.
   */
  requireRole(action: OperatorAction, by: string): void {
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
    const { status } = this.record;
    const at = this.record.now();
    const count = (status.refused?.count ?? 0) + 1;
    status.refused = { count, lastAt: at, lastBy: claimed.slice(0, 64), lastReason: reason.slice(0, 300) };
    if (count <= AUDITED_REFUSALS) this.record.audit(claimed.slice(0, 64), `${action}-refused`, reason.slice(0, 300));
    else if (count === AUDITED_REFUSALS + 1)
      this.record.audit(SYSTEM, 'refusals-summarised', `more than ${AUDITED_REFUSALS} decisions refused; further ones are only counted in status`);
    else this.record.touch();
  }

  /** An update validator: refuses with the reason and records nothing (a refused update never enters history). */
  validate(check: () => string | undefined): void {
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
}

function actorOf(raw: unknown): string {
  const by = (raw as { by?: unknown } | undefined)?.by;
  return typeof by === 'string' && by.trim() ? by.slice(0, 64) : 'unknown';
}
