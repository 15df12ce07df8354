import type { RunbookDefinition } from '../../kit';
import { operatorsFor, resolveApprovers, verifySignedDecision, type Roster, type VerifiedDecision } from '../../kit/trust';
import type { FindingsBook } from './book';
import { CloseBody, type FindingsIdentity } from './messages';

/** A close that holds so far (its proof, when a drill, is still to be read from Temporal), or why it does not. */
export type CloseVerdict =
  { ok: true; decision: VerifiedDecision; body: CloseBody; riskGroup?: string } | { ok: false; reason: string; fix: string; claimed: string };

export interface CloseContext {
  identity: FindingsIdentity;
  roster: Roster;
  definition: Pick<RunbookDefinition, 'id' | 'procedure' | 'operators'>;
  nowMs: number;
  used: ReadonlySet<string>;
}

/**
 * Checks a signed close of a finding, purely (the same verdict on replay): a `resolve` decision signed for this
 * findings workflow (its namespace, ID, first run and identity digest), by a roster person with the runbook's
 * operator role for `resolve`, naming an open finding, with a proof: a drill (checked next, from Temporal) or an
 * accepted risk, which only a member of a group the roster names under `riskAcceptance` may sign.
 */
export function checkClose(raw: unknown, book: FindingsBook, ctx: CloseContext): CloseVerdict {
  const verdict = verifySignedDecision(['resolve'], raw, { ...ctx.identity, nowMs: ctx.nowMs, roster: ctx.roster, used: ctx.used });
  if (!verdict.ok) return { ok: false, reason: verdict.reason, fix: 'sign the close with lifeboat finding close', claimed: verdict.claimed };
  const by = verdict.decision.by;
  const refuse = (reason: string, fix: string): CloseVerdict => ({ ok: false, reason, fix, claimed: by });
  const body = CloseBody.safeParse(verdict.decision.body);
  if (!body.success)
    return refuse(`the statement is not a close of a finding (${body.error.issues[0]?.path.join('.')})`, 'sign it with lifeboat finding close');
  const finding = book.get(body.data.finding);
  if (!finding) return refuse(`${body.data.finding} is not a finding of ${book.runbook} on ${book.target}`, 'see lifeboat findings for the open ones');
  if (finding.state !== 'open') return refuse(`${finding.id} is already closed (by ${finding.closed?.by} at ${finding.closed?.at})`, 'nothing to do');
  const selector = operatorsFor(ctx.definition, 'resolve');
  if (!resolveApprovers(ctx.roster, selector).eligible.includes(by)) {
    const who = [...(selector.groups ?? []).map((g) => `group ${g}`), ...(selector.users ?? []).map((u) => `user ${u}`)].join(' or ');
    return refuse(
      `${by} may not close findings of ${ctx.definition.id}: it needs the runbook's operator role (${who})`,
      'ask an operator of the runbook to close it',
    );
  }
  if (body.data.proof === 'drill') {
    if (!body.data.drill || !body.data.drillRun) return refuse('the close names no drill as its proof', 'pass --proof <drill run id>, or --accept-risk');
    return { ok: true, decision: verdict.decision, body: body.data };
  }
  const groups = ctx.roster.riskAcceptance ?? [];
  if (groups.length === 0)
    return refuse('the roster names no group that may accept a risk', 'add "riskAcceptance": ["<group>"] to the roster, or close with --proof <passing drill>');
  const person = ctx.roster.people.find((p) => p.id === by);
  const group = groups.find((g) => person?.groups.includes(g));
  if (!group)
    return refuse(
      `${by} may not accept a risk: only members of ${groups.map((g) => `group ${g}`).join(' or ')} may`,
      'ask a member of that group to close it with --accept-risk, or prove the fix with --proof <passing drill>',
    );
  return { ok: true, decision: verdict.decision, body: body.data, riskGroup: group };
}
