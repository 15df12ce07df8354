import { visibleLine } from '../../lib/terminal-text';
import type { CheckedDecision, DecisionResult, VerifyReport } from './check';

const resultText: Record<DecisionResult, (d: CheckedDecision) => string> = {
  verified: () => 'VERIFIED',
  'not-counted': () => 'VERIFIED, not counted by the run',
  refused: (d) => `refused by the run: ${d.reason}`,
  replayed: (d) => `replayed, refused by the run: ${d.reason}`,
  'unverified-unknown': (d) => `DOES NOT VERIFY: ${d.reason} (whether the run counted it cannot be told)`,
  'counted-unverified': (d) => `DOES NOT VERIFY: ${d.reason}; the run counted it`,
};

/** `sha256:` and the first 12 hex digits: enough to tell rosters apart in a table. */
function shortDigest(digest: string | undefined): string {
  return digest ? digest.slice(0, 'sha256:'.length + 12) : '-';
}

/** The report as a person reads it: who the run is, the rosters, one row per decision, and the verdict. */
export function renderVerifyReport(report: VerifyReport): string {
  const status =
    report.statusFrom === 'none'
      ? "the run's status is not in the history (it has not completed), so whether a signal counted cannot be told"
      : `status from the run's ${report.statusFrom === 'result' ? 'result' : 'live answer'}: ${report.state}`;
  const lines = [
    `${report.runId} (Temporal run ${report.temporalRunId}, namespace ${report.namespace})`,
    `workflow ${report.workflowType}, requested by ${report.requestedBy}, input ${report.inputDigest}`,
    status,
    `rosters loaded: ${report.rosters.map((r) => `${r.digest ?? `unreadable (${r.problem})`} at ${r.at}`).join('; ') || 'none'}`,
    ...(report.notes ?? []).map((note) => `note: ${visibleLine(note)}`),
    '',
  ];
  const header = ['TIME', 'MESSAGE', 'KIND', 'SIGNER', 'ANSWERS', 'KEY', 'ROSTER', 'RESULT'];
  const rows = report.decisions.map((d) => [
    d.at,
    d.source === 'start' ? 'start' : `${d.message} (${d.source})`,
    d.kind ?? '?',
    d.signer,
    d.answers,
    d.fingerprint ? `${d.keyType?.startsWith('webauthn-') ? 'passkey ' : ''}${d.fingerprint}` : '-',
    shortDigest(d.rosterDigest),
    resultText[d.result](d),
  ]);
  const cells = [header, ...rows].map((row) => row.map((cell) => visibleLine(cell)));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  for (const row of cells) lines.push(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
  lines.push('');
  const count = (result: DecisionResult) => report.decisions.filter((d) => d.result === result).length;
  const tally = [
    `${count('verified')} verified and counted`,
    count('not-counted') ? `${count('not-counted')} verified but not counted` : '',
    count('refused') + count('replayed') ? `${count('refused') + count('replayed')} refused by the run` : '',
    count('unverified-unknown') ? `${count('unverified-unknown')} not verified, counting unknown` : '',
    count('counted-unverified') ? `${count('counted-unverified')} COUNTED WITHOUT VERIFYING` : '',
  ].filter(Boolean);
  lines.push(`${report.decisions.length} decision${report.decisions.length === 1 ? '' : 's'}: ${tally.join(', ')}.`);
  if (report.ok) lines.push('OK: every decision the run counted verifies against the roster it had loaded.');
  else {
    lines.push('FAILED:');
    for (const problem of report.problems) lines.push(`  - ${visibleLine(problem)}`);
  }
  return `${lines.join('\n')}\n`;
}
