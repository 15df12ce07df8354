import type { GateRecord } from '../../kit';
import type { CheckedDecision } from './check';
import { type RunLifecycle, stepActivities } from './lifecycle';

/** The kinds of decision that let steps go on after a gate. */
const GATE_PASSING = new Set(['approve']);

/**
 * Checks the resets Temporal recorded in a run's history. A reset runs the code again from an earlier point with
 * every event before it kept, approvals included, so the steps after the gate can run again on approvals given for
 * another moment. A reset run verifies only when people approved it again after each reset (an approval that verifies,
 * that the run counted, and that was signed after the reset), every step activity scheduled after a reset came after
 * such an approval, and, where the run's status is known,
 * when no gate it passed after a reset counted a vote signed before it. `decisions` are checkRun's, numbered as in
 * the same history. Returns one note per reset (who, when, why) and the problems, in sentences.
 */
export function checkResets(
  run: RunLifecycle,
  decisions: CheckedDecision[],
  signedAt: (d: CheckedDecision) => string | undefined,
  counted?: { gates: GateRecord[]; signedAtOfNonce: (nonce: string) => string | undefined },
): { notes: string[]; problems: string[] } {
  const notes: string[] = [];
  const problems: string[] = [];
  for (const reset of run.resets) {
    const who = reset.user ? `${reset.identity} for "${reset.user}"` : reset.identity;
    const said = `reset by ${who} at ${reset.at} (reason: ${reset.reason}; from run ${reset.baseRunId || 'unknown'}, event ${reset.eventId})`;
    notes.push(`this run was ${said}`);
    const fresh = decisions.filter((d) => {
      const issued = signedAt(d);
      return d.eventId > reset.eventId && d.verified && d.counted !== false && GATE_PASSING.has(d.kind ?? '') && issued !== undefined && issued > reset.at;
    });
    const rerun = stepActivities(run).filter((a) => a.eventId > reset.eventId && !fresh.some((d) => d.eventId < a.eventId));
    if (rerun.length > 0) {
      const types = [...new Set(rerun.map((a) => a.type))].join(', ');
      problems.push(
        `the run was ${said}, and ${rerun.length} step activit${rerun.length === 1 ? 'y' : 'ies'} (${types}) ran after it with no approval signed since: old approvals do not cover a reset run`,
      );
    } else if (fresh.length === 0) {
      // Nothing acted, but nobody has decided again either: what the run did before the reset was approved for
      // another moment, and the run is not a record of a decided recovery until people approve it afresh.
      problems.push(`the run was ${said}, and no approval has been signed since: the approvals before the reset no longer count`);
    }
    for (const gate of counted?.gates ?? []) {
      if (gate.status !== 'approved' || !gate.decidedAt || gate.decidedAt <= reset.at) continue;
      for (const vote of gate.votes) {
        const issued = vote.verified ? counted!.signedAtOfNonce(vote.verified.nonce) : undefined;
        if (vote.decision === 'approve' && (issued === undefined || issued <= reset.at)) {
          problems.push(
            `the run was ${said}, and gate ${gate.name} passed after it counting ${vote.by}'s approval signed ${issued ? `at ${issued}, before the reset` : 'at an unknown time'}: old approvals do not cover a reset run`,
          );
        }
      }
    }
  }
  return { notes, problems };
}
