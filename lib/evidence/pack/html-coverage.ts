import { esc, mark, table } from './html-text';
import type { PackCoverage } from './types';

/** Section 4: what the period did not test: runbooks and plans, scenarios, and services of the targets file. */
export function coverageHtml(coverage: PackCoverage): string {
  const services =
    coverage.services === undefined
      ? '<p class="bad">No targets file was read, so services are not counted. Give --targets FILE (or LIFEBOAT_TARGETS).</p>'
      : table(
          ['Service', 'Covered by a tested plan', 'Tested plans', 'Runbook tests on it'],
          coverage.services.map((s) => [
            esc(s.service),
            mark(s.plans.length > 0, 'yes', 'NO'),
            esc(s.plans.join(', ') || '—'),
            esc(s.runbooks.join(', ') || '—'),
          ]),
          'the targets file names no services',
        );
  return [
    '<section class="page" id="coverage">',
    '<h2>4. Coverage</h2>',
    `<h3>Runbooks and plans not tested in the period (${coverage.untested.length})</h3>`,
    table(
      ['Kind', 'Id', 'Title'],
      coverage.untested.map((u) => [esc(u.kind), esc(u.id), esc(u.title)]),
      'none: every runbook and plan of the catalog was tested',
    ),
    `<h3>Scenarios (${coverage.neverRehearsed.length} never rehearsed)</h3>`,
    table(
      ['Scenario', 'Tests', 'Passed', 'Rehearsed'],
      coverage.scenarios.map((s) => [esc(s.scenario), esc(s.tests), esc(s.passed), mark(s.tests > 0, 'yes', 'NEVER')]),
      'no scenarios',
    ),
    `<h3>Services of the targets file${coverage.uncoveredServices ? ` (${coverage.uncoveredServices.length} covered by no tested plan)` : ''}</h3>`,
    services,
    '</section>',
  ].join('\n');
}
