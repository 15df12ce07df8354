import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { KitActivities } from './activity-contracts';
import { digestOf, type SignedDecision } from './decisions/statement';
import { proofOf, verifySignedDecision, type RunIdentity } from './decisions/verify';
import type { RunbookDefinition } from './definition';
import { ErrorType } from './errors';
import type { RunTrust } from './run-trust';
import type { Roster } from './roster';
import type { DrillMode } from './status';
import type { StartRequest } from './start-trust';

const kitActivities = proxyActivities<KitActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3, initialInterval: '1 second' } });

/**
 * How runs recorded before the lifecycle checks (`patched('lifecycle-trust')`) proved who started them; they replay
 * with it. Every new run uses `establishTrust` (start-trust.ts), which closes the holes this one had.
 *
 * Loads the roster and proves who started the run: a start statement signed by the requester for this workflow,
 * runbook, input and drill (a drill schedule's authorisation may live as long as the schedule), or, for a child run,
 * the parent's own verified start. Refuses the run otherwise: nothing has happened yet, so nothing needs undoing.
 */
export async function establishTrustAsRecorded(
  definition: RunbookDefinition,
  request: StartRequest,
  drill: DrillMode | undefined,
): Promise<{ requestedBy: string; trust: RunTrust }> {
  const info = workflowInfo();
  const identity: RunIdentity = {
    namespace: info.namespace,
    workflowId: info.workflowId,
    runId: info.firstExecutionRunId,
    inputDigest: digestOf(request.input),
  };
  const roster: Roster = await kitActivities.loadRoster();
  const refuse = (reason: string): never => {
    throw ApplicationFailure.nonRetryable(`start refused: ${reason}`, ErrorType.DecisionRefused);
  };
  if (!request.start) return refuse(`the start is not signed; start runs with lifeboat run (it signs as ${request.requestedBy}), or pass a signed start`);
  const parent = info.parent;
  // A child run (a live drill's failback) carries its parent's start, checked against the parent the server names.
  const delegated = parent !== undefined && parseStartStatement(request.start)?.workflowId === parent.workflowId;
  const startStatement = parseStartStatement(request.start);
  const context = delegated
    ? {
        namespace: identity.namespace,
        workflowId: parent.workflowId,
        runId: '',
        inputDigest: startStatement!.inputDigest,
        nowMs: Date.parse(startStatement!.issuedAt),
        roster,
        used: new Set<string>(),
      }
    : { ...identity, runId: '', nowMs: Date.now(), roster, used: new Set<string>(), allowScheduleLifetime: true };
  const verdict = verifySignedDecision(['start'], request.start, context);
  if (!verdict.ok) return refuse(verdict.reason);
  const { decision } = verdict;
  if (decision.by !== request.requestedBy) refuse(`the start is signed by ${decision.by}, but the request names ${request.requestedBy} as requester`);
  const schedule = typeof decision.body.schedule === 'string' ? decision.body.schedule : undefined;
  if (!delegated) {
    if (decision.body.runbook !== definition.id) refuse(`the signed start is for runbook ${String(decision.body.runbook)}, not ${definition.id}`);
    if ((decision.body.drill ?? 'none') !== (drill?.kind ?? 'none'))
      refuse(`the signed start is for drill ${String(decision.body.drill ?? 'none')}, but the request asks for ${drill?.kind ?? 'no drill'}`);
    if (schedule !== undefined && !(parent?.workflowId ?? '').startsWith(`${schedule}-`)) {
      refuse(`a drill schedule's authorisation (${schedule}) is only valid for runs that schedule starts`);
    }
  }
  const proof = proofOf(decision);
  return {
    requestedBy: decision.by,
    trust: {
      identity,
      roster,
      startProof: request.start,
      start: { verified: proof, ...(delegated ? { delegatedBy: parent.workflowId } : {}), ...(schedule ? { schedule } : {}) },
    },
  };
}

function parseStartStatement(signed: SignedDecision): { workflowId: string; inputDigest: string; issuedAt: string } | undefined {
  try {
    const json = JSON.parse(signed.statement) as { workflowId?: unknown; inputDigest?: unknown; issuedAt?: unknown };
    if (typeof json.workflowId !== 'string' || typeof json.inputDigest !== 'string' || typeof json.issuedAt !== 'string') return undefined;
    return { workflowId: json.workflowId, inputDigest: json.inputDigest, issuedAt: json.issuedAt };
  } catch {
    return undefined;
  }
}
