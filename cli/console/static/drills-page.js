// @ts-check
// Drills and readiness (/drills): whether each runbook could run now, the drill schedules, and a runbook's drill
// history against its objectives.

import * as api from './api.js';
import { h, replace, toast } from './dom.js';
import { messageOf, runHref, when } from './format.js';

/** @import { ConsoleConfig, DrillHistoryEntry, DrillSchedule, ReadinessRow } from './api.js' */

/**
 * @param {HTMLElement} main
 * @param {ConsoleConfig} config
 */
export function drillsPage(main, config) {
  const schedules = h('section', { class: 'card table-wrap', id: 'schedules' }, h('p', { class: 'muted' }, 'Loading schedules…'));
  const pick = h(
    'select',
    { id: 'history-runbook' },
    config.runbooks.map((r) => h('option', { value: r.id }, r.id)),
  );
  const hist = h('div', { id: 'history' });
  const board = h('section', { class: 'card table-wrap', id: 'readiness' }, h('p', { class: 'muted' }, 'Loading readiness…'));
  replace(
    main,
    h('h1', {}, 'Drills and readiness'),
    board,
    schedules,
    h('section', { class: 'card' }, h('h2', {}, 'Drill history'), h('label', {}, 'Runbook', pick), hist),
  );
  /**
   * Where a part that failed to load says why.
   * @param {HTMLElement} el
   */
  const failedIn = (el) => (/** @type {unknown} */ err) => replace(el, h('p', { class: 'error' }, messageOf(err)));
  api
    .readiness()
    .then((rows) => renderReadiness(board, rows))
    .catch(failedIn(board));
  const loadSchedules = async () => {
    const { schedules: list, controls } = await api.drills();
    /**
     * A button that pauses, resumes or triggers a schedule, then shows the schedules again.
     * @param {string} id
     * @param {string} action
     */
    const control = (id, action) => {
      const run = async () => {
        try {
          await api.controlDrill(id, action);
          toast(`${action}: ${id}`);
          await loadSchedules();
        } catch (e) {
          toast(messageOf(e));
        }
      };
      return h('button', { type: 'button', onclick: () => void run() }, action);
    };
    renderSchedules(schedules, list, controls, control);
  };
  const loadHistory = async () => renderHistory(hist, pick.value, (await api.drillHistory(pick.value)).entries);
  pick.addEventListener('change', () => void loadHistory().catch(failedIn(hist)));
  loadSchedules().catch(failedIn(schedules));
  loadHistory().catch(failedIn(hist));
}

/**
 * The readiness board: could each runbook run now, from its latest scheduled evaluation.
 * @param {HTMLElement} board
 * @param {ReadinessRow[]} rows
 */
function renderReadiness(board, rows) {
  replace(
    board,
    h('h2', {}, 'Readiness: could each runbook run now?'),
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Runbook'), h('th', {}, 'Target'), h('th', {}, 'Ready'), h('th', {}, 'Checked'), h('th', {}, 'Failing checks'))),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            { dataset: { runbook: r.runbook } },
            h('td', {}, r.runbook),
            h('td', {}, r.target),
            h(
              'td',
              {},
              r.ready === null
                ? h('span', { class: 'muted' }, 'not evaluated')
                : r.ready
                  ? h('span', { class: 'verified' }, 'ready')
                  : h('span', { class: 'badge state-failed' }, 'NOT READY'),
            ),
            h('td', {}, when(r.checkedAt)),
            h(
              'td',
              {},
              r.failing.map((c) => h('div', {}, `${c.name}: ${c.reason}`, h('span', { class: 'help' }, ` fix: ${c.fix}`))),
            ),
          ),
        ),
      ),
    ),
    h(
      'p',
      { class: 'help' },
      "From each runbook's latest scheduled evaluation (lifeboat readiness schedule); a runbook never evaluated on a schedule shows as not evaluated.",
    ),
  );
}

/**
 * The drill schedules, with pause, resume and trigger buttons only on a console started with --drill-controls.
 * @param {HTMLElement} el
 * @param {DrillSchedule[]} list
 * @param {boolean} controls
 * @param {(id: string, action: string) => HTMLButtonElement} control
 */
function renderSchedules(el, list, controls, control) {
  replace(
    el,
    h('h2', {}, 'Schedules'),
    list.length
      ? h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'Schedule'),
              h('th', {}, 'Drill'),
              h('th', {}, 'Paused'),
              h('th', {}, 'Next run'),
              h('th', {}, 'Last run'),
              controls ? h('th', {}, '') : null,
            ),
          ),
          h(
            'tbody',
            {},
            list.map((s) =>
              h(
                'tr',
                {},
                h('td', {}, s.scheduleId),
                h('td', {}, s.drill || '-'),
                h('td', {}, s.paused ? `yes${s.note ? ` (${s.note})` : ''}` : 'no'),
                h('td', {}, when(s.nextRun)),
                h('td', {}, when(s.lastRun)),
                controls ? h('td', {}, control(s.scheduleId, s.paused ? 'resume' : 'pause'), ' ', control(s.scheduleId, 'trigger')) : null,
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No drill schedules. Create one with lifeboat drill schedule <runbook> --every 24h.'),
    controls
      ? null
      : h(
          'p',
          { class: 'help' },
          'Pause, resume and trigger are off: Temporal Schedules take no signed decisions, so this console offers them only when started with --drill-controls. Use lifeboat drill pause|resume|trigger.',
        ),
  );
}

/**
 * A runbook's finished drills: the RTO and RPO chart, and a row per drill with its result.
 * @param {HTMLElement} el
 * @param {string} runbook
 * @param {DrillHistoryEntry[]} entries
 */
function renderHistory(el, runbook, entries) {
  replace(
    el,
    entries.length
      ? h('img', {
          src: `/api/drill-history.svg?runbook=${encodeURIComponent(runbook)}`,
          alt: 'RTO and RPO per drill against the objectives',
          class: 'chart',
        })
      : null,
    entries.length
      ? h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            {},
            h('thead', {}, h('tr', {}, h('th', {}, 'Started'), h('th', {}, 'Drill'), h('th', {}, 'RTO'), h('th', {}, 'RPO'), h('th', {}, 'Result'))),
            h(
              'tbody',
              {},
              entries.map((e) =>
                h(
                  'tr',
                  {},
                  h('td', {}, h('a', { href: runHref(e.runId) }, when(e.startedAt))),
                  h('td', {}, e.drill || '-'),
                  h('td', {}, e.rtoSeconds === undefined ? '-' : `${e.rtoSeconds}s`),
                  h('td', {}, e.rpoSeconds === undefined ? '-' : `${e.rpoSeconds}s`),
                  h('td', {}, e.passed ? 'pass' : `FAIL: ${e.problems.join('; ')}`),
                ),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No finished drills of this runbook yet.'),
  );
}
