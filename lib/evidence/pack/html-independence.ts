import { count, esc, mark, table, when } from './html-text';
import type { PackIndependence } from './types';

const caseTitles: Record<string, string> = {
  'requester-approved': 'requester also approved',
  'requester-operated': 'requester also operated',
  'approver-operated': 'approver also operated',
  'approved-by-policy': 'approved by policy, no person',
  'expired-and-proceeded': 'gate expired, run went on',
  unknown: 'people unknown',
};

/** Section 2: for every run, who requested, approved and operated it, and each case where they were not distinct. */
export function independenceHtml(independence: PackIndependence): string {
  const { runs, cases } = independence;
  return [
    '<section class="page" id="independence">',
    '<h2>2. Independence</h2>',
    `<p>For each of the ${count(runs.length, 'run')} of the period: the person who requested it, those who approved it and those who acted as its operator, read from its report and from its verify result, which re-checks every signed decision. A case below is a run where they were not distinct people, or where no person decided.</p>`,
    `<h3>Cases where the people were not distinct (${cases.length})</h3>`,
    table(
      ['Finished', 'Run', 'Person', 'Case', 'What happened'],
      cases.map((c) => [esc(when(c.finishedAt)), `<span class="mono">${esc(c.key)}</span>`, esc(c.person), esc(caseTitles[c.kind] ?? c.kind), esc(c.what)]),
      'none: in every run the requester, the approvers and the operators were distinct people',
    ),
    '<h3>Every run\u2019s decisions</h3>',
    table(
      ['Finished', 'Run', 'Requester', 'Approvals', 'Operator decisions', 'Decisions verified', 'Distinct'],
      runs.map((r) => [
        esc(when(r.finishedAt)),
        `${esc(r.drill ? 'drill' : 'real run')}<br><span class="mono">${esc(r.key)}</span>`,
        esc(r.requester),
        r.approvals.map((a) => `${esc(a.by)} <span class="note">(${esc(a.gate)}: ${esc(a.decision)})</span>`).join('<br>') || '<span class="note">none</span>',
        r.operators.map((o) => `${esc(o.by)} <span class="note">(${esc(o.action)} ${esc(o.on)})</span>`).join('<br>') || '<span class="note">none</span>',
        esc(r.decisions),
        r.known ? mark(r.distinct, 'yes', 'NO') : mark(false, '', 'unknown'),
      ]),
      'no runs in the period',
    ),
    '</section>',
  ].join('\n');
}
