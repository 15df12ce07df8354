import { esc, table, when } from './html-text';
import type { PackFinding, PackFindings } from './types';

/** Section 3: the audit findings opened in the period, closed in it with their proof, and still open at its end. */
export function findingsHtml(findings: PackFindings): string {
  const intro =
    findings.snapshots === 0
      ? '<p>The archive holds no findings bundle in the period: no finding was recorded, or findings are not archived yet.</p>'
      : `<p>From the newest findings record in the period of each runbook and target (${findings.snapshots}).</p>`;
  return [
    '<section class="page" id="findings">',
    '<h2>3. Findings</h2>',
    intro,
    `<h3>Opened in the period (${findings.opened.length})</h3>`,
    table(['Finding', 'Runbook on target', 'Opened', 'Why', 'What happened', 'Evidence'], findings.opened.map(openedRow), 'none opened'),
    `<h3>Closed in the period, with their proof (${findings.closed.length})</h3>`,
    table(['Finding', 'Runbook on target', 'Closed', 'By', 'Proof', 'Comment'], findings.closed.map(closedRow), 'none closed'),
    `<h3>Still open (${findings.stillOpen.length})</h3>`,
    table(['Finding', 'Runbook on target', 'Opened', 'Deadline', 'What happened'], findings.stillOpen.map(openRow), 'none open'),
    '</section>',
  ].join('\n');
}

const where = (f: PackFinding) => `${esc(f.runbook)} on ${esc(f.target)}`;

function openedRow(f: PackFinding): string[] {
  const objective = f.objective ? ` (${f.objective.name.toUpperCase()} ${f.objective.achievedSeconds} s against ${f.objective.targetSeconds} s)` : '';
  return [
    esc(f.id),
    where(f),
    esc(when(f.openedAt)),
    esc(f.reason + objective),
    esc(f.what),
    `<span class="mono">${esc(f.evidence ?? f.run?.runId ?? '—')}</span>`,
  ];
}

function closedRow(f: PackFinding): string[] {
  const closed = f.closed!;
  const proof =
    closed.proof.kind === 'passing-drill'
      ? `passing drill ${esc(closed.proof.runId)} <span class="mono">${esc(closed.proof.temporalRunId)}</span>, finished ${esc(when(closed.proof.finishedAt))}`
      : `risk accepted by ${esc(closed.proof.by)} (group ${esc(closed.proof.group)}) on ${esc(when(closed.proof.at))}: ${esc(closed.proof.comment)}`;
  return [esc(f.id), where(f), esc(when(closed.at)), esc(closed.by), proof, esc(closed.comment)];
}

function openRow(f: PackFinding): string[] {
  return [esc(f.id), where(f), esc(when(f.openedAt)), `${esc(when(f.deadline))}${f.overdue ? '<br><span class="bad">OVERDUE</span>' : ''}`, esc(f.what)];
}
