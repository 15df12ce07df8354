import type { RunStatus } from '../../kit';
import type { ChaosWorld, Violation } from '../world-types';

export const VERIFY_PASSES = 'lifeboat verify passes';
export const DECISION_ONCE = 'no decision counts twice';
export const DECISION_SIGNED = 'no unsigned decision counts';

/** Who acts without a signature by design: the kit itself, Temporal's own records, and a drill's policy. */
const NOT_PEOPLE = new Set(['lifeboat', 'temporal', 'drill-policy']);
/** Audit actions that are a person's decision, each of which the run takes only signed. */
const DECISIONS = new Set(['approved', 'rejected', 'retry', 'skip', 'abort', 'cancel']);

/**
 * Checks the run's decisions three ways:
 * - `lifeboat verify <runId> --json` exits 0: every decision the run counted verifies from Temporal's history;
 * - no decision counted twice: within a gate, each approval has its own signer and nonce, and no nonce counts in two
 *   gates (a plan's approval, which stands for each delegable gate of a member, excepted);
 * - no unsigned or forged decision counts: the start is signed (or delegated by a parent run, a schedule or a plan),
 *   every counted vote carries the verified proof, the audit trail has that proof for it, and every person's decision
 *   in the audit trail is signed. A drill's policy approval is the only vote with no person behind it, and only in a
 *   drill that says its policy approves.
 */
export async function checkDecisions(world: Pick<ChaosWorld, 'cli'>, runId: string, status: RunStatus): Promise<Violation[]> {
  return [...(await verifyViolations(world, runId)), ...decisionViolations(status)];
}

async function verifyViolations(world: Pick<ChaosWorld, 'cli'>, runId: string): Promise<Violation[]> {
  const verified = await world.cli(['verify', runId, '--json']);
  if (verified.code === 0) return [];
  let problems: string[] | undefined;
  try {
    problems = (JSON.parse(verified.stdout) as { problems?: string[] }).problems;
  } catch {
    // Not a report (the server did not answer, say): the raw output is the evidence.
  }
  const evidence = problems?.length ? problems.join('; ') : `${verified.stderr.trim()} ${verified.stdout.trim()}`.trim().slice(0, 2000);
  return [{ invariant: VERIFY_PASSES, evidence: `lifeboat verify ${runId} exited ${verified.code}: ${evidence}` }];
}

/** What the run's own status shows of its decisions, checked without the server: pure, for the unit tests too. */
export function decisionViolations(status: RunStatus): Violation[] {
  const violations: Violation[] = [];
  const once = (evidence: string) => violations.push({ invariant: DECISION_ONCE, evidence: `${status.runId}: ${evidence}` });
  const signed = (evidence: string) => violations.push({ invariant: DECISION_SIGNED, evidence: `${status.runId}: ${evidence}` });
  const start = status.trust?.start;
  if (start && !start.verified && !start.delegatedBy && !start.schedule && !start.planMember)
    signed(`the run started on an unsigned request by ${status.requestedBy}`);
  const policyDrill = status.drill?.approvals === 'policy';
  for (const gate of status.gates) {
    const people = new Set<string>();
    const nonces = new Set<string>();
    for (const vote of gate.votes) {
      const what = `${vote.by}'s ${vote.decision} of gate ${gate.name}`;
      if (people.has(vote.by)) once(`${what} counted twice`);
      people.add(vote.by);
      if (!vote.verified) {
        if (!(policyDrill && vote.by === 'drill-policy')) signed(`${what} counted without a verified signature`);
        continue;
      }
      const { nonce } = vote.verified;
      if (nonces.has(nonce)) once(`nonce ${nonce} counted twice in gate ${gate.name}`);
      nonces.add(nonce);
      if (!status.auditDropped && !auditedWithProof(status, vote)) signed(`${what} (nonce ${nonce}) has no audit entry with its verified proof`);
    }
  }
  // Across gates: a plan's approval stands for each delegable gate of a member by design, so those gates are left out.
  const gateOfNonce = new Map<string, string>();
  for (const gate of status.gates.filter((g) => !g.delegatedFrom)) {
    for (const nonce of new Set(gate.votes.flatMap((v) => (v.verified ? [v.verified.nonce] : [])))) {
      const earlier = gateOfNonce.get(nonce);
      if (earlier !== undefined) once(`nonce ${nonce} counted in gate ${earlier} and again in gate ${gate.name}`);
      else gateOfNonce.set(nonce, gate.name);
    }
  }
  for (const entry of status.audit) {
    if (NOT_PEOPLE.has(entry.actor) || !DECISIONS.has(entry.action) || entry.verified) continue;
    signed(`the audit trail records ${entry.actor}'s ${entry.action} at ${entry.at} without a verified signature`);
  }
  return violations;
}

/** Whether the audit trail holds the vote's decision by the same person with the same key and nonce. */
function auditedWithProof(status: RunStatus, vote: RunStatus['gates'][number]['votes'][number]): boolean {
  const action = vote.decision === 'approve' ? 'approved' : 'rejected';
  return status.audit.some(
    (a) => a.actor === vote.by && a.action === action && a.verified?.nonce === vote.verified?.nonce && a.verified?.fingerprint === vote.verified?.fingerprint,
  );
}
