import { coverageHtml } from './html-coverage';
import { findingsHtml } from './html-findings';
import { independenceHtml } from './html-independence';
import { integrityHtml, integrityVerdict } from './html-integrity';
import { packStyle } from './html-style';
import { count, day, esc, when } from './html-text';
import { testsHtml } from './html-tests';
import type { EvidencePack } from './types';

/**
 * The pack as one self-contained HTML file: inline CSS, no scripts, nothing fetched, pages that print on A4. The first
 * page says the period, where the archive is, whether it verifies and what the period shows; a section per part
 * follows. `madeAt` is the only moment in it, so two packs of the same archive differ in that line alone.
 */
export function renderPackHtml(pack: EvidencePack, options: { madeAt: Date }): string {
  const period = `${day(pack.period.since)} to ${day(pack.period.until)}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${esc(`Evidence pack, ${period}`)}</title>`,
    `<style>${packStyle}</style>`,
    '</head>',
    '<body>',
    firstPage(pack, period, options.madeAt),
    testsHtml(pack.subjects),
    independenceHtml(pack.independence),
    findingsHtml(pack.findings),
    coverageHtml(pack.coverage),
    integrityHtml(pack.integrity),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function firstPage(pack: EvidencePack, period: string, madeAt: Date): string {
  const { totals, coverage, findings, independence } = pack;
  const facts: [string, string][] = [
    ['Period', `${when(pack.period.since)} to ${when(pack.period.until)} (runs that finished in it)`],
    ['Archive', pack.archive],
    ['Made at', madeAt.toISOString()],
    ['Made by', 'lifeboat evidence pack, from the sealed archive alone'],
  ];
  const summary: [string, string][] = [
    ['Tests', `${totals.tests} (${count(totals.drills, 'drill')}, ${count(totals.realRuns, 'real run')}): ${totals.passed} passed, ${totals.failed} failed`],
    [
      'Runbooks and plans',
      `${pack.subjects.filter((s) => s.tests.length > 0).length} tested, ${coverage.untested.length} not tested${names(coverage.untested.map((u) => u.id))}`,
    ],
    ['Scenarios', coverage.neverRehearsed.length === 0 ? 'every scenario rehearsed' : `never rehearsed: ${coverage.neverRehearsed.join(', ')}`],
    [
      'Services',
      coverage.uncoveredServices === undefined
        ? 'not counted: no targets file was read'
        : coverage.uncoveredServices.length === 0
          ? 'every service of the targets file covered by a tested plan'
          : `covered by no tested plan: ${coverage.uncoveredServices.join(', ')}`,
    ],
    [
      'Independence',
      independence.cases.length === 0
        ? 'requester, approvers and operators distinct in every run'
        : `${count(independence.cases.length, 'case')} where they were not (section 2)`,
    ],
    [
      'Findings',
      `${findings.opened.length} opened, ${findings.closed.length} closed, ${findings.stillOpen.length} still open (${findings.stillOpen.filter((f) => f.overdue).length} overdue)`,
    ],
  ];
  return [
    '<section id="summary">',
    '<h1>Disaster-recovery evidence pack</h1>',
    `<p class="sub">Tests of the ICT continuity and recovery plans, ${esc(period)}: what was tested, against which objectives, who decided, what was found, and what was not tested.</p>`,
    factsTable(facts),
    integrityVerdict(pack.integrity),
    '<h2>Summary</h2>',
    factsTable(summary),
    '<h2>Contents</h2>',
    '<ol><li>Tests by runbook and plan</li><li>Independence</li><li>Findings</li><li>Coverage</li><li>Integrity</li></ol>',
    '</section>',
  ].join('\n');
}

function factsTable(rows: readonly [string, string][]): string {
  return `<table class="facts">\n<tbody>\n${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('\n')}\n</tbody>\n</table>`;
}

function names(ids: readonly string[]): string {
  return ids.length === 0 ? '' : ` (${ids.join(', ')})`;
}
