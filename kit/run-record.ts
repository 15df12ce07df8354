import { workflowInfo } from '@temporalio/workflow';
import type { Objectives, RunbookDefinition } from './definition';
import { RunMetrics } from './metrics';
import { publishSearchAttributes } from './publish-search-attributes';
import { rosterDigest } from './roster';
import { runSearchAttributes } from './search-attributes';
import type { RunTrust } from './run-trust';
import type { AuditEntry, DecisionProof, DrillMode, Measurements, RunState, RunStatus } from './status';

/** The actor of what the kit itself does, in the audit trail. */
export const SYSTEM = 'lifeboat';

/** The audit trail status carries; older entries (after the first) are dropped from status and counted. */
const MAX_AUDIT_ENTRIES = 500;
/** Temporal's default limits on one run's history, and the share of either at which status warns. */
const HISTORY_EVENT_LIMIT = 51_200;
const HISTORY_BYTE_LIMIT = 50 * 1024 * 1024;
const HISTORY_WARNING_SHARE = 0.6;

/**
 * What a run shows of itself: its status, the audit trail, its state (in status, in the search attributes and in the
 * metrics) and how much of Temporal's history limits it has used. Every other part of the run writes through it.
 */
export class RunRecord {
  readonly status: RunStatus;
  readonly metrics: RunMetrics;
  /**
   * Set while a continued run replays its procedure up to the gate it was waiting at: the carried trail already holds
   * what it does until then.
   */
  resuming = false;
  /** Told once, when the history passes the warning share; the run sends it as a notice. */
  onHistoryWarning: (title: string, warning: string) => void = () => undefined;

  constructor(definition: RunbookDefinition, target: string, requestedBy: string, drill: DrillMode | undefined, objectives: Objectives, trust: RunTrust) {
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
      trust: {
        namespace: trust.identity.namespace,
        temporalRunId: trust.identity.runId,
        inputDigest: trust.identity.inputDigest,
        rosterDigest: rosterDigest(trust.roster),
        start: trust.start,
        ...(trust.delegation && trust.delegation.signers.length > 0
          ? {
              planApproval: {
                plan: trust.delegation.plan,
                workflowId: trust.delegation.workflowId,
                runId: trust.delegation.runId,
                member: trust.delegation.member,
                signers: trust.delegation.signers.map((s) => s.by),
              },
            }
          : {}),
      },
    };
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

  /** Publishes a fact for status (progress, measurements); the latest value per key wins. */
  report(key: string, value: unknown): void {
    this.status.details[key] = value;
    this.touch();
  }

  /** Records what the run measured against its objectives; later values add to earlier ones. */
  measure(measurements: Measurements): void {
    this.status.measurements = { ...this.status.measurements, ...measurements };
    this.touch();
  }

  setState(state: RunState): void {
    if (this.status.state === state) return;
    this.status.state = state;
    this.metrics.entered(state);
    this.touch();
    this.setSearchAttributes(false);
  }

  /** The state, and with `all` what the run is (runbook, target, requester, drill), for `lifeboat list` to find. */
  setSearchAttributes(all: boolean): void {
    const { state, runbook, target, requestedBy, drill } = this.status;
    publishSearchAttributes(runSearchAttributes(all ? { state, runbook, target, requestedBy, drill: drill?.kind } : { state }));
  }

  touch(): void {
    this.status.updatedAt = this.now();
    this.watchHistory();
  }

  now(): string {
    return new Date(Date.now()).toISOString();
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
      this.onHistoryWarning(`Run near its history limit: ${this.status.runbook} on ${this.status.target}`, warning);
    }
  }
}
