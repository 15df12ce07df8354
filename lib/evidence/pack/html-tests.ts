import { duration, esc, mark, table, when } from './html-text';
import type { PackObjectiveResult, PackSubject, PackTest } from './types';

/** Section 1: each runbook and plan, its scenarios and objectives, and every test of it in the period. */
export function testsHtml(subjects: readonly PackSubject[]): string {
  return [
    '<section class="page" id="tests">',
    '<h2>1. Tests by runbook and plan</h2>',
    '<p>Every drill and real run that finished in the period, as its sealed bundle records it. A test passes when it succeeded, met every objective, recorded no drill problem and its bundle verifies.</p>',
    ...subjects.map(subjectPart),
    '</section>',
  ].join('\n');
}

function subjectPart(subject: PackSubject): string {
  const objectives = [
    subject.objectives.rtoSeconds !== undefined ? `RTO ${duration(subject.objectives.rtoSeconds)}` : '',
    subject.objectives.rpoSeconds !== undefined ? `RPO ${duration(subject.objectives.rpoSeconds)}` : '',
  ].filter(Boolean);
  const plan = subject.kind === 'plan';
  const head = ['Finished', 'Target', 'Test', 'Scenarios', 'RTO achieved', 'RPO achieved', ...(plan ? ['Forecast against actual'] : []), 'Result'];
  return [
    `<h3>${esc(subject.kind === 'plan' ? 'Plan' : 'Runbook')} ${esc(subject.id)}: ${esc(subject.title)}</h3>`,
    `<p>Scenarios: ${tags(subject.scenarios)}. Objectives: ${esc(objectives.join(', ') || 'none declared')}. Tests in the period: ${subject.tests.length}${
      subject.inCatalog ? '' : '. <strong>No longer in the catalog</strong>: shown from its bundles.'
    }</p>`,
    table(
      head,
      subject.tests.map((t) => [
        esc(when(t.finishedAt)),
        esc(t.target),
        `${esc(t.drill ? 'drill' : 'real run')}<br><span class="mono">${esc(t.key)}</span>${membersOf(t)}`,
        `${tags(t.scenarios)}${t.definitionFrom === 'catalog' ? '<br><span class="note">(from today\u2019s catalog: the bundle records none)</span>' : ''}`,
        achieved(t.objectives, 'rto', t.rtoSeconds),
        achieved(t.objectives, 'rpo', t.rpoSeconds),
        ...(plan ? [forecastOf(t)] : []),
        `${mark(t.result === 'pass', 'PASS', 'FAIL')}${t.why.length ? `<ul>${t.why.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : ''}`,
      ]),
      'not tested in the period',
    ),
  ].join('\n');
}

function tags(scenarios: readonly string[]): string {
  return scenarios.length === 0
    ? '<span class="note">none</span>'
    : `<span class="tags">${scenarios.map((s) => `<span class="tag">${esc(s)}</span>`).join('')}</span>`;
}

function achieved(objectives: readonly PackObjectiveResult[], which: 'rto' | 'rpo', measured: number | undefined): string {
  const objective = objectives.find((o) => o.objective === which);
  if (!objective) return esc(duration(measured));
  const value = objective.achievedSeconds ?? measured;
  const from = objective.countedFrom ? `<br><span class="note">from ${esc(objective.countedFrom)}</span>` : '';
  return `${esc(duration(value))} of ${esc(duration(objective.targetSeconds))}<br>${mark(objective.met, 'met', value === undefined ? 'not measured' : 'missed')}${from}`;
}

function forecastOf(test: PackTest): string {
  const f = test.forecast;
  if (!f) return '<span class="note">no forecast</span>';
  const range = f.minSeconds !== undefined && f.maxSeconds !== undefined ? ` (${duration(f.minSeconds)} to ${duration(f.maxSeconds)})` : '';
  const forecast = f.medianSeconds !== undefined ? `forecast ${duration(f.medianSeconds)}${range}` : 'forecast unknown (a member had no history)';
  const actual = f.actualSeconds !== undefined ? `actual ${duration(f.actualSeconds)}` : 'actual not measured';
  const error = f.errorSeconds !== undefined ? `, off by ${duration(f.errorSeconds)}` : '';
  const within = f.withinRange === undefined ? '' : `<br>${mark(f.withinRange, 'within the forecast range', 'outside the forecast range')}`;
  return `${esc(forecast)}<br>${esc(actual + error)}${within}`;
}

function membersOf(test: PackTest): string {
  if (!test.members || test.members.length === 0) return '';
  const lines = test.members.map(
    (m) =>
      `<li>${esc(m.member)}: ${esc(m.runbook)} on ${esc(m.target)}, ${esc(m.state)}${m.rtoSeconds !== undefined ? `, RTO ${esc(duration(m.rtoSeconds))}` : ''}</li>`,
  );
  return `<ul class="note">${lines.join('')}</ul>`;
}
