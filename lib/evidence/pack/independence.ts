import type { ManifestFields, ReadBundle } from './bundle-files';
import type { IndependenceCase, RunPeople } from './types';

/**
 * Independence: for each run, who requested it, who approved it and who acted as its operator, and every case where
 * those were not distinct people, or where no person decided at all (a drill's policy approval, a gate that expired
 * and let the run go on). Read from the run's verify result (every signed decision, re-checked) and its report.
 */

/** Statement kinds that are an operator's decisions rather than a start or a vote. */
const operatorKinds = new Set(['retry', 'skip', 'abort', 'cancel', 'resume', 'resolve', 'task']);
/** The name a drill's policy votes carry (kit/gates.ts): no person approved. */
const POLICY_VOTER = 'drill-policy';

export function runPeople(bundle: ReadBundle & { manifest: ManifestFields }): { people: RunPeople; cases: IndependenceCase[] } {
  const { manifest, report, verify } = bundle;
  const at = { key: bundle.key, runId: manifest.runId, finishedAt: manifest.finishedAt };
  const requester = report?.requestedBy ?? verify?.requestedBy ?? '';
  const counted = (verify?.decisions ?? []).filter((d) => d.counted !== false);

  const approvals: RunPeople['approvals'] = report?.decision
    ? report.decision.signers.map((s) => ({ by: s.by, gate: report.decision!.gate, decision: s.decision }))
    : report?.approvals
      ? report.approvals.map((a) => ({ by: a.by, gate: a.gate, decision: a.decision }))
      : counted.filter((d) => d.kind === 'approve' || d.kind === 'reject').map((d) => ({ by: d.signer, gate: d.answers ?? '?', decision: d.kind! }));

  const operators: RunPeople['operators'] =
    verify?.decisions !== undefined
      ? counted.filter((d) => operatorKinds.has(d.kind ?? '')).map((d) => ({ by: d.signer, action: d.kind!, on: d.answers ?? '?' }))
      : [
          ...(report?.interventions ?? []).flatMap((i) => (i.by && i.action ? [{ by: i.by, action: i.action, on: i.step }] : [])),
          ...(report?.skipped ?? []).flatMap((s) => (s.by ? [{ by: s.by, action: 'skip', on: s.member }] : [])),
        ];

  const known = report !== undefined || verify !== undefined;
  const cases: IndependenceCase[] = [];
  const add = (person: string, kind: IndependenceCase['kind'], what: string) => cases.push({ ...at, person, kind, what });
  if (!known) add('unknown', 'unknown', 'the bundle holds no readable report.json or verify.json, so who decided cannot be read from the archive');

  const approvers = new Set(approvals.map((a) => a.by).filter((by) => by !== POLICY_VOTER));
  for (const gate of unique(approvals.filter((a) => a.by === POLICY_VOTER).map((a) => a.gate)))
    add('nobody', 'approved-by-policy', `gate ${gate} passed by the drill's policy: no person approved it`);
  for (const gate of unique(approvals.filter((a) => a.by === requester && requester !== '').map((a) => a.gate)))
    add(requester, 'requester-approved', `${requester} requested the run and also voted on gate ${gate}`);
  for (const bar of report?.timeline ?? [])
    if (bar.kind === 'gate-wait' && bar.outcome === 'expired' && report?.state === 'succeeded')
      add('nobody', 'expired-and-proceeded', `${bar.label} expired unanswered and the run went on without an approval`);
  for (const person of unique(operators.map((o) => o.by))) {
    const actions = operators.filter((o) => o.by === person).map((o) => `${o.action} ${o.on}`);
    if (person === requester) add(person, 'requester-operated', `${person} requested the run and also acted as its operator (${actions.join(', ')})`);
    else if (approvers.has(person)) add(person, 'approver-operated', `${person} approved the run and also acted as its operator (${actions.join(', ')})`);
  }

  const people: RunPeople = {
    ...at,
    drill: manifest.drill === true,
    requester: requester || 'unknown',
    approvals: [...approvals].sort((a, b) => compare(a.gate, b.gate) || compare(a.by, b.by)),
    operators,
    decisions: verify?.decisions?.length ?? approvals.length + operators.length,
    distinct: cases.length === 0,
    known,
  };
  return { people, cases };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)].sort(compare);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
