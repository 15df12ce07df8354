import { type RunStatus } from '../../kit';
import { digestOf, Roster, rosterDigest, type Verdict, type VerifyContext, verifySignedDecision } from '../../kit/trust';
import { kindsOfMessage, type RecordedDecision, type RunHistory } from './history-decisions';

/**
 * What became of one decision: it verifies and the run counted it; it verifies but the run did not count it (the
 * gate was closed, the signer may not vote, ...); it does not verify and the run refused it (a forgery, as it
 * should be); it repeats a decision already used; or it does not verify and yet the run counted it, which only a
 * tampered history or a bug in the run can explain.
 */
export type DecisionResult = 'verified' | 'not-counted' | 'refused' | 'replayed' | 'unverified-unknown' | 'counted-unverified';

/** One decision as `lifeboat verify` re-checked it. */
export interface CheckedDecision {
  eventId: number;
  /** The event's time. */
  at: string;
  source: RecordedDecision['source'];
  /** `start`, or the signal or update that carried it. */
  message: string;
  /** The statement's kind, as far as it can be read. */
  kind: string | undefined;
  /** Who the statement names (verified or not). */
  signer: string;
  /** What it answers: the gate, step, host or conflict, or the runbook of a start. */
  answers: string;
  fingerprint?: string;
  keyType?: string;
  nonce?: string;
  /** The digest of the roster the run checked it against. */
  rosterDigest?: string;
  /** The run's clock when its code handled the decision: expiry is checked as of then. */
  handledAt: string;
  verified: boolean;
  /** Why it does not verify. */
  reason?: string;
  /** Whether the run counted it; null when the history cannot tell (a running run's signals). */
  counted: boolean | null;
  result: DecisionResult;
}

/** Everything `lifeboat verify` found about a run's decisions. */
export interface VerifyReport {
  runId: string;
  namespace: string;
  temporalRunId: string;
  inputDigest: string;
  workflowType: string;
  requestedBy: string;
  /** Where the run's own account of what it counted came from: its result, a live query, or nowhere. */
  statusFrom: 'result' | 'query' | 'none';
  state?: string;
  rosters: { eventId: number; at: string; digest?: string; problem?: string }[];
  decisions: CheckedDecision[];
  /** What Temporal's own records say happened to the run (a reset, say), in sentences; absent when nothing did. */
  notes?: string[];
  /** What makes the run fail verification, in sentences. */
  problems: string[];
  /** Every decision the run counted verifies, and every one its status counts is in the history. */
  ok: boolean;
}

export interface CheckOptions {
  /** The namespace statements must name: the client's. */
  namespace: string;
  /** The workflow ID statements must name: the run asked about. */
  workflowId: string;
  /** The run's own account: its final status, or a live query's answer. */
  status?: { value: RunStatus; from: 'result' | 'query' };
  /** The runbook id a workflow type runs, when the catalog knows it. */
  runbookOf?: (workflowType: string) => string | undefined;
  /**
   * Nonces of decisions the run counted that another run received: the plan approvals a plan's member carries in its
   * start, which stand for its gates. They are not in this run's history; the plan's delegation check verifies them.
   */
  delegatedNonces?: ReadonlySet<string>;
}

/**
 * Re-verifies every decision of a run, purely, as the run itself did: the same `verifySignedDecision` against the
 * roster the run had loaded, at the time the run handled it, with the nonces used so far. Then compares with what
 * the run says it counted (the `verified.nonce` of its audit entries, votes and start).
 */
export function checkRun(run: RunHistory, options: CheckOptions): VerifyReport {
  const request = (run.request ?? {}) as { input?: unknown; requestedBy?: unknown; drill?: { kind?: unknown } };
  const identity = { namespace: options.namespace, workflowId: options.workflowId, runId: run.firstExecutionRunId, inputDigest: digestOf(request.input) };
  const status = options.status?.value;
  const problems: string[] = [];
  if (run.workflowId !== undefined && run.workflowId !== options.workflowId) {
    problems.push(`the history is of ${run.workflowId}, not ${options.workflowId}`);
  }
  const rosters = run.rosters.map((snapshot) => {
    if (snapshot.unreadable) return { eventId: snapshot.eventId, at: snapshot.at, problem: snapshot.unreadable };
    const parsed = Roster.safeParse(snapshot.roster);
    if (!parsed.success) return { eventId: snapshot.eventId, at: snapshot.at, problem: `not a valid roster (${parsed.error.issues[0]?.message})` };
    return { eventId: snapshot.eventId, at: snapshot.at, roster: parsed.data, digest: rosterDigest(parsed.data) };
  });
  const counted = status ? noncesCountedBy(status) : undefined;
  /**
   * The run records a counted decision at the time it handled it, so when one signed decision was sent more than
   * once (refused while its gate was not yet open, say, and counted later), the time tells which one counted.
   */
  const timed = new Set(
    run.decisions.filter((d) => counted?.get(statementField(d.message, 'nonce') ?? '')?.at.has(d.handledAtMs)).map((d) => statementField(d.message, 'nonce')),
  );
  const used = new Set<string>();
  const decisions: CheckedDecision[] = [];

  for (const recorded of run.decisions) {
    const roster = recorded.roster !== undefined ? rosters[recorded.roster] : undefined;
    const nonce = statementField(recorded.message, 'nonce');
    let verdict: Verdict;
    if (recorded.unreadable) verdict = { ok: false, reason: recorded.unreadable, claimed: 'unknown' };
    else if (!roster) verdict = { ok: false, reason: 'the run had loaded no roster to check it against', claimed: claimedOf(recorded.message) };
    else if (!('roster' in roster) || !roster.roster)
      verdict = { ok: false, reason: `the roster the run checked it against cannot be read: ${roster.problem}`, claimed: claimedOf(recorded.message) };
    else if (recorded.source === 'start')
      verdict = checkStart(run, recorded, identity, roster.roster, request, options.runbookOf?.(run.workflowType) ?? status?.runbook);
    else if (recorded.name === PLAN_ABORT) verdict = checkPlanAbort(run, recorded, identity.namespace, roster.roster, used);
    else {
      const kinds = kindsOfMessage(recorded.name) ?? [];
      verdict = verifySignedDecision(kinds, recorded.message, { ...identity, nowMs: recorded.handledAtMs, roster: roster.roster, used });
    }

    let wasCounted: boolean | null;
    if (recorded.source === 'start') {
      wasCounted = status ? nonce !== undefined && status.trust?.start.verified?.nonce === nonce : !/^start refused/.test(run.closed?.failure ?? '');
    } else if (nonce !== undefined && used.has(nonce)) wasCounted = false;
    else if (counted) {
      wasCounted = nonce !== undefined && counted.has(nonce) && (!timed.has(nonce) || counted.get(nonce)!.at.has(recorded.handledAtMs));
      // A copy that does not verify, handled in the same workflow task as one with the same nonce that does, is the
      // forgery the run refused; the run counted the one that verifies.
      if (
        wasCounted &&
        !verdict.ok &&
        run.decisions.some((d) => d !== recorded && d.handledAtMs === recorded.handledAtMs && statementField(d.message, 'nonce') === nonce)
      ) {
        wasCounted = false;
      }
    } else if (recorded.source === 'update') wasCounted = recorded.outcome !== 'failed';
    else wasCounted = null;
    if (recorded.source !== 'start' && nonce !== undefined && (wasCounted === true || (wasCounted === null && verdict.ok))) used.add(nonce);

    const result: DecisionResult = verdict.ok
      ? wasCounted === false
        ? 'not-counted'
        : 'verified'
      : wasCounted === true
        ? 'counted-unverified'
        : wasCounted === null
          ? 'unverified-unknown'
          : /already used/.test(verdict.reason)
            ? 'replayed'
            : 'refused';
    const shown = describe(recorded);
    decisions.push({
      eventId: recorded.eventId,
      at: recorded.at,
      source: recorded.source,
      message: recorded.name,
      kind: verdict.ok ? verdict.decision.kind : shown.kind,
      signer: verdict.ok ? verdict.decision.by : verdict.claimed !== 'unknown' ? verdict.claimed : claimedOf(recorded.message),
      answers: shown.answers,
      ...(verdict.ok ? { fingerprint: verdict.decision.fingerprint, keyType: verdict.decision.keyType } : {}),
      ...(nonce !== undefined ? { nonce } : {}),
      ...(roster && 'digest' in roster && roster.digest ? { rosterDigest: roster.digest } : {}),
      handledAt: new Date(recorded.handledAtMs).toISOString(),
      verified: verdict.ok,
      ...(verdict.ok ? {} : { reason: verdict.reason }),
      counted: wasCounted,
      result,
    });
    if (result === 'counted-unverified') {
      problems.push(
        `${recorded.name} at ${recorded.at} (event ${recorded.eventId}) does not verify (${(verdict as { reason: string }).reason}), yet the run counted it`,
      );
    }
  }

  if (status && counted) {
    for (const [nonce, { what }] of counted) {
      // A counted decision that does not verify is reported above; here, counted ones the history lacks altogether.
      const backed = decisions.some((d) => d.nonce === nonce && d.counted === true);
      if (!backed && !options.delegatedNonces?.has(nonce))
        problems.push(`the run counts ${what} (nonce ${nonce}), but no decision in the history that verifies carries that nonce`);
    }
  }
  return {
    runId: options.workflowId,
    namespace: options.namespace,
    temporalRunId: run.firstExecutionRunId,
    inputDigest: identity.inputDigest,
    workflowType: run.workflowType,
    requestedBy: typeof request.requestedBy === 'string' ? request.requestedBy : 'unknown',
    statusFrom: options.status?.from ?? 'none',
    ...(status ? { state: status.state } : {}),
    rosters: rosters.map(({ eventId, at, digest, problem }) => ({ eventId, at, ...(digest ? { digest } : {}), ...(problem ? { problem } : {}) })),
    decisions,
    problems,
    ok: problems.length === 0,
  };
}

/**
 * Checks a start as the kit does when a run begins: signed by the requester for this workflow, runbook, input and
 * drill; or, for a child run, its parent's own start, checked as of when it was issued.
 */
function checkStart(
  run: RunHistory,
  recorded: RecordedDecision,
  identity: Omit<VerifyContext, 'nowMs' | 'roster' | 'used'>,
  roster: Roster,
  request: { requestedBy?: unknown; drill?: { kind?: unknown } },
  runbook: string | undefined,
): Verdict {
  const requestedBy = typeof request.requestedBy === 'string' ? request.requestedBy.trim() : '';
  if (recorded.message === undefined) return { ok: false, reason: 'the start is not signed', claimed: requestedBy || 'unknown' };
  const statementWorkflow = statementField(recorded.message, 'workflowId');
  const delegated = run.parentWorkflowId !== undefined && statementWorkflow === run.parentWorkflowId;
  const issuedAt = statementField(recorded.message, 'issuedAt');
  const context: VerifyContext = delegated
    ? {
        namespace: identity.namespace,
        workflowId: run.parentWorkflowId!,
        runId: '',
        inputDigest: statementField(recorded.message, 'inputDigest') ?? '',
        nowMs: Date.parse(issuedAt ?? ''),
        roster,
        used: new Set(),
      }
    : { ...identity, runId: '', nowMs: recorded.handledAtMs, roster, used: new Set(), allowScheduleLifetime: true };
  const verdict = verifySignedDecision(['start'], recorded.message, context);
  if (!verdict.ok) return verdict;
  const { decision } = verdict;
  const refuse = (reason: string): Verdict => ({ ok: false, reason, claimed: decision.by });
  if (decision.by !== requestedBy) return refuse(`the start is signed by ${decision.by}, but the request names ${requestedBy} as requester`);
  if (delegated) return verdict;
  if (runbook !== undefined && decision.body.runbook !== runbook)
    return refuse(`the signed start is for runbook ${String(decision.body.runbook)}, not ${runbook}`);
  const drill = typeof request.drill?.kind === 'string' ? request.drill.kind : 'none';
  if ((decision.body.drill ?? 'none') !== drill)
    return refuse(`the signed start is for drill ${String(decision.body.drill ?? 'none')}, but the request asks for ${drill}`);
  const schedule = decision.body.schedule;
  if (typeof schedule === 'string' && !(run.parentWorkflowId ?? '').startsWith(`${schedule}-`)) {
    return refuse(`a drill schedule's authorisation (${schedule}) is only valid for runs that schedule starts`);
  }
  return verdict;
}

/** The signal a recovery plan passes its signed abort to its running members with. */
const PLAN_ABORT = 'plan-abort';

/**
 * A plan's abort as a member took it: signed for its parent, the plan run (whose run and input the statement names;
 * that it is that plan run's own abort, one the plan counted, is checked with the plan in plan-delegation.ts).
 */
function checkPlanAbort(run: RunHistory, recorded: RecordedDecision, namespace: string, roster: Roster, used: ReadonlySet<string>): Verdict {
  if (run.parentWorkflowId === undefined)
    return { ok: false, reason: "a plan's abort counts only in a run a plan started; this run has no parent", claimed: claimedOf(recorded.message) };
  return verifySignedDecision(kindsOfMessage(recorded.name) ?? [], recorded.message, {
    namespace,
    workflowId: run.parentWorkflowId,
    runId: statementField(recorded.message, 'runId') ?? '',
    inputDigest: statementField(recorded.message, 'inputDigest') ?? '',
    nowMs: recorded.handledAtMs,
    roster,
    used,
  });
}

/**
 * The nonces of every decision the run says it counted (its start, votes and audited decisions): what each was, and
 * when the run counted it.
 */
function noncesCountedBy(status: RunStatus): Map<string, { what: string; at: Set<number> }> {
  const nonces = new Map<string, { what: string; at: Set<number> }>();
  const add = (nonce: string, what: string, at: string | undefined) => {
    const entry = nonces.get(nonce) ?? { what, at: new Set<number>() };
    if (at !== undefined) entry.at.add(Date.parse(at));
    nonces.set(nonce, entry);
  };
  const start = status.trust?.start.verified?.nonce;
  if (start) add(start, `the start by ${status.requestedBy}`, undefined);
  for (const gate of status.gates) {
    for (const vote of gate.votes) if (vote.verified) add(vote.verified.nonce, `${vote.by}'s ${vote.decision} of gate ${gate.name}`, vote.at);
  }
  for (const entry of status.audit) if (entry.verified) add(entry.verified.nonce, `${entry.actor}'s ${entry.action}`, entry.at);
  return nonces;
}

/** A field of a message's statement, read without trusting it (for display and nonce bookkeeping). */
function statementField(message: unknown, field: string): string | undefined {
  const statement = parseStatement(message);
  const value = statement?.[field];
  return typeof value === 'string' ? value : undefined;
}

function parseStatement(message: unknown): Record<string, unknown> | undefined {
  const text = (message as { statement?: unknown } | null | undefined)?.statement;
  if (typeof text !== 'string') return undefined;
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function claimedOf(message: unknown): string {
  const by = statementField(message, 'by') ?? (message as { by?: unknown } | null | undefined)?.by;
  return typeof by === 'string' && by ? by.slice(0, 64) : 'unknown';
}

/** The kind and what a decision answers, from its statement or, unsigned, from the message itself. */
function describe(recorded: RecordedDecision): { kind: string | undefined; answers: string } {
  const statement = parseStatement(recorded.message);
  const body = (statement?.body ?? recorded.message ?? {}) as Record<string, unknown>;
  const kind = typeof statement?.kind === 'string' ? statement.kind : recorded.source === 'start' ? 'start' : undefined;
  const parts: string[] = [];
  const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
  if (recorded.source === 'start') {
    if (text(body.runbook)) parts.push(`runbook ${text(body.runbook)}`);
    if (text(body.drill) && body.drill !== 'none') parts.push(`drill ${text(body.drill)}`);
    if (text(body.schedule)) parts.push(`schedule ${text(body.schedule)}`);
  }
  for (const field of ['gate', 'step', 'host', 'conflict', 'rule'] as const) {
    if (text(body[field])) parts.push(`${field} ${text(body[field])}`);
  }
  if (!statement && recorded.source !== 'start' && typeof (recorded.message as { action?: unknown } | undefined)?.action === 'string') {
    parts.unshift(String((recorded.message as { action: string }).action));
  }
  return { kind, answers: parts.join(', ') || '-' };
}
