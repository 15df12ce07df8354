// @ts-check
// The runs list (/): the latest runs, followed live, narrowed by the filters kept in the address.

import { badge, h, replace } from './dom.js';
import { runHref, when } from './format.js';
import { watch } from './live.js';
import { states } from './run-states.js';

/** @import { ConsoleConfig, RunSummary } from './api.js' */

/**
 * @param {HTMLElement} main
 * @param {ConsoleConfig} config
 */
export function runsPage(main, config) {
  const q = new URLSearchParams(location.search);
  /**
   * @param {string} name
   * @param {[string, string][]} options Each option's value and text.
   * @param {string} label
   */
  const select = (name, options, label) =>
    h(
      'label',
      {},
      label,
      h(
        'select',
        { name },
        h('option', { value: '' }, 'any'),
        options.map(([v, t]) => h('option', { value: v, selected: q.get(name) === v }, t)),
      ),
    );
  const form = h(
    'form',
    { class: 'filters card', id: 'filters' },
    select(
      'runbook',
      config.runbooks.map((r) => [r.id, r.id]),
      'Runbook',
    ),
    h('label', {}, 'Target', h('input', { type: 'text', name: 'target', value: q.get('target') || '', placeholder: 'booking', autocomplete: 'off' })),
    select(
      'state',
      states.map((s) => [s, s]),
      'State',
    ),
    select(
      'drill',
      [
        ['real', 'real runs'],
        ['isolated', 'isolated drills'],
        ['live', 'live drills'],
      ],
      'Drill or real',
    ),
  );
  const body = h('tbody', { id: 'runs' });
  const table = h(
    'div',
    { class: 'card table-wrap' },
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Run'), h('th', {}, 'State'), h('th', { class: 'hide-narrow' }, 'Requested by'), h('th', {}, 'Started'))),
      body,
    ),
  );
  replace(main, h('h1', {}, 'Runs'), form, table);
  const apply = () => {
    const params = new URLSearchParams();
    for (const el of form.elements)
      if ((el instanceof HTMLInputElement || el instanceof HTMLSelectElement) && el.name && el.value) params.set(el.name, el.value);
    history.replaceState(null, '', params.toString() ? `/?${params}` : '/');
    watch(
      params.toString() || 'list=1',
      /** @param {RunSummary[]} runs */ (runs) => renderRuns(body, runs),
      (p) => replace(body, h('tr', {}, h('td', { colspan: 4, class: 'error' }, p.message))),
    );
  };
  form.addEventListener('change', apply);
  form.addEventListener('submit', (e) => (e.preventDefault(), apply()));
  apply();
}

/**
 * @param {HTMLTableSectionElement} body
 * @param {RunSummary[]} runs
 */
function renderRuns(body, runs) {
  if (!runs.length) return replace(body, h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No runs match.')));
  replace(
    body,
    runs.map((r) =>
      h(
        'tr',
        { dataset: { run: r.runId } },
        h('td', {}, h('a', { href: runHref(r.runId) }, r.runId), r.drill ? [' ', h('span', { class: 'badge drill' }, `DRILL ${r.drill}`)] : null),
        h('td', {}, badge(r.state || r.temporalStatus.toLowerCase())),
        h('td', { class: 'hide-narrow' }, r.requestedBy),
        h('td', {}, when(r.startedAt)),
      ),
    ),
  );
}
