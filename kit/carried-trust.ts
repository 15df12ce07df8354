import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import type { CarriedRun } from './carry-over';
import { digestOf, Statement } from './decisions/statement';
import { verifySignedDecision, type RunIdentity } from './decisions/verify';
import { ErrorType } from './errors';
import { rosterDigest } from './roster';
import type { RunTrust } from './run-trust';

function refuse(reason: string): never {
  throw ApplicationFailure.nonRetryable(`start refused: ${reason}`, ErrorType.DecisionRefused);
}

/**
 * The trust of a run that continued from an earlier one. Who the run is (namespace, first run ID, input) is the
 * chain's own. The run believes nothing carried on its say-so: the roster must be the
 * one whose digest the earlier run recorded, the start must be a signature by the requester over this chain, and every
 * vote a carried gate counts must come with its signed decision, checked again here against the chain and that roster.
 * (That the earlier run is one of ours, of this type on this task queue, is checked from Temporal by `checkPredecessor`.)
 */
export function carriedTrust(carried: CarriedRun, input: unknown): { requestedBy: string; trust: RunTrust } {
  const info = workflowInfo();
  const start = carried.status.trust?.start ?? {};
  if (!carried.roster) refuse('the carried-over state has no roster');
  const identity: RunIdentity = { namespace: info.namespace, workflowId: info.workflowId, runId: info.firstExecutionRunId, inputDigest: digestOf(input) };
  checkCarried(carried, identity);
  return {
    requestedBy: carried.status.requestedBy,
    trust: { identity, roster: carried.roster, start, ...(carried.startProof ? { startProof: carried.startProof } : {}) },
  };
}

function checkCarried(carried: CarriedRun, identity: RunIdentity): void {
  const roster = carried.roster!;
  const recorded = carried.status.trust?.rosterDigest;
  if (!recorded || recorded !== rosterDigest(roster)) refuse('the carried-over roster is not the one the earlier run recorded');
  if (carried.status.trust?.inputDigest !== identity.inputDigest) refuse("the carried-over state is for another input than this run's");
  if (!carried.startProof) refuse('the carried-over state has no signed start');
  // A delegated start names the parent's workflow and input; any other names this chain's.
  const start0 = carried.status.trust?.start ?? {};
  const startBy = signerOf(carried.startProof.statement);
  const start = verifySignedDecision(
    ['start'],
    carried.startProof,
    asIssued(carried.startProof.statement, { ...identity, ...(start0.delegatedBy ? startIdentity(carried.startProof.statement) : { runId: '' }), roster }),
  );
  if (!start.ok) refuse(`the carried-over start does not hold: ${start.reason}`);
  if (startBy !== carried.status.requestedBy) refuse(`the carried-over start is signed by ${startBy}, but the state names ${carried.status.requestedBy}`);
  const decisions = new Map<string, { by: string; kind: string; gate: unknown }>();
  for (const raw of carried.decisions ?? []) {
    const verdict = verifySignedDecision(['approve', 'reject'], raw, asIssued(raw.statement, { ...identity, roster }));
    if (!verdict.ok) refuse(`a carried-over decision does not hold: ${verdict.reason}`);
    decisions.set(verdict.decision.nonce, { by: verdict.decision.by, kind: verdict.decision.kind, gate: verdict.decision.body.gate });
  }
  const policyApproves = carried.status.drill?.approvals === 'policy';
  for (const gate of carried.status.gates) {
    for (const vote of gate.votes) {
      if (vote.by === 'drill-policy' && policyApproves) continue;
      const signed = vote.verified ? decisions.get(vote.verified.nonce) : undefined;
      if (!signed || signed.by !== vote.by || signed.kind !== vote.decision || signed.gate !== gate.name) {
        refuse(
          `the carried-over gate ${gate.name.slice(0, 64)} counts a ${vote.decision} by ${vote.by.slice(0, 64)} that comes with no signed decision of theirs`,
        );
      }
    }
  }
}

/** Checks a carried decision as of when it was signed: it counted then, and its nonce was used by the earlier run. */
function asIssued(statement: string, ctx: RunIdentity & { roster: NonNullable<CarriedRun['roster']> }) {
  const issuedAt = issuedAtOf(statement);
  return { ...ctx, nowMs: issuedAt + 1, used: new Set<string>(), allowScheduleLifetime: true };
}

/** A start names the run before it existed (no run ID), and a delegated one its parent's workflow ID and input. */
function startIdentity(statement: string): Partial<RunIdentity> {
  const parsed = parseStatement(statement);
  return parsed ? { workflowId: parsed.workflowId, runId: '', inputDigest: parsed.inputDigest } : {};
}

function signerOf(statement: string): string {
  return parseStatement(statement)?.by ?? 'unknown';
}

function issuedAtOf(statement: string): number {
  const parsed = parseStatement(statement);
  return parsed ? Date.parse(parsed.issuedAt) : 0;
}

function parseStatement(statement: string): Statement | undefined {
  try {
    const parsed = Statement.safeParse(JSON.parse(statement));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
