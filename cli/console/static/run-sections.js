// @ts-check
// The parts of a run's page that only show what the run says: its head, warnings, timeline, open gate, a step waiting
// for an operator, RTO and RPO, and the audit trail. Each is redrawn from the latest status.

import { badge, h, replace } from './dom.js';
import { clock, seconds, when } from './format.js';

/** @import { GateRecord, RunStatus, RunView } from './api.js' */

/**
 * The run's name, state, who asked for it and links to its report and to Temporal.
 * @param {HTMLElement} el
 * @param {RunStatus} s
 * @param {RunView['links']} links
 */
export function renderHead(el, s, links) {
  replace(
    el,
    h('h1', { id: 'run-id' }, s.runId),
    h(
      'div',
      { class: 'row' },
      badge(s.state),
      s.drill ? h('span', { class: 'badge drill' }, `DRILL ${s.drill.kind}, approvals by ${s.drill.approvals}`) : null,
      h('span', { class: 'muted' }, s.title),
    ),
    h(
      'p',
      { class: 'muted' },
      `requested by ${s.requestedBy} · started ${when(s.startedAt)}${s.finishedAt ? ` · finished ${when(s.finishedAt)}` : ''}${s.currentStep && s.state === 'running' ? ` · now: ${s.currentStep}` : ''}`,
    ),
    h(
      'div',
      { class: 'row' },
      h('a', { href: links.report, target: '_blank', rel: 'noopener', id: 'report-link' }, 'HTML report'),
      links.temporal ? h('a', { href: links.temporal, target: '_blank', rel: 'noopener noreferrer', id: 'temporal-link' }, 'Temporal Web UI') : null,
    ),
  );
}

/**
 * What an on-call engineer must not miss: a requested abort, pages that reached nobody, a history near its limits.
 * @param {HTMLElement} el
 * @param {RunStatus} s
 */
export function renderWarnings(el, s) {
  /** @type {string[]} */
  const lines = [];
  /** @type {string[]} */
  const notes = [];
  if (s.abortRequested)
    lines.push(`Abort requested by ${s.abortRequested.by} at ${when(s.abortRequested.at)}${s.abortRequested.reason ? `: ${s.abortRequested.reason}` : ''}`);
  if (s.notifications && s.notifications.lastFailure) {
    const f = s.notifications.lastFailure;
    lines.push(`A ${f.kind} notification reached nobody at ${when(f.at)}: ${f.error}`);
  }
  if (s.history && s.history.warning) lines.push(s.history.warning);
  const ended = s.endedByTemporal;
  if (ended) {
    lines.push(
      `Temporal ${ended.how === 'timed-out' ? 'timed out' : ended.how} this run${ended.by ? ` (${ended.by})` : ''}${ended.at ? ` at ${when(ended.at)}` : ''}${
        ended.inStep ? `, in ${ended.inStep}` : ''
      }${ended.reason ? `: ${ended.reason}` : ''}. It ran no undos.`,
    );
    if (ended.undosNotRun && ended.undosNotRun.length > 0) lines.push(`Undos never run: ${ended.undosNotRun.map((u) => `${u.step} (${u.undo})`).join('; ')}`);
    for (const step of ended.next) notes.push(`Next: ${step}`);
  }
  if (s.reset) lines.push(`Temporal reset this run at ${when(s.reset.at)}; decisions made before the reset no longer count. ${s.reset.next}.`);
  if (s.pointOfNoReturn)
    notes.push(`Past the point of no return at ${s.pointOfNoReturn.step}: an abort runs no undos; the way back is ${s.pointOfNoReturn.undoInstead}`);
  replace(
    el,
    lines.map((line) => h('p', { class: 'error' }, line)),
    notes.map((line) => h('p', { class: 'muted' }, line)),
  );
}

/**
 * The Gantt chart and the steps as they ran.
 * @param {HTMLElement} el
 * @param {RunStatus} s
 * @param {string} svgUrl
 */
export function renderTimeline(el, s, svgUrl) {
  const rows = s.steps.map((st) =>
    h(
      'tr',
      { dataset: { step: st.name, status: st.status } },
      h('td', {}, st.kind === 'undo' ? `undo ${st.name}` : st.name),
      h('td', {}, badge(st.status)),
      h('td', {}, st.attempts),
      h('td', {}, seconds(st.durationMs)),
      h('td', { class: 'hide-narrow' }, st.lastError || ''),
    ),
  );
  replace(
    el,
    h('h2', {}, 'Timeline'),
    h('img', {
      src: `${svgUrl}&v=${encodeURIComponent(s.updatedAt)}`,
      alt: 'Gantt chart of the steps; waits for approvers and operators drawn apart from work',
    }),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'steps' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'Step'),
            h('th', {}, 'Status'),
            h('th', {}, 'Attempts'),
            h('th', {}, 'Took'),
            h('th', { class: 'hide-narrow' }, 'Last error'),
          ),
        ),
        h('tbody', {}, rows),
      ),
    ),
  );
}

/**
 * The open gate: its count, its approvers, who may still vote, and the votes with the keys that signed them.
 * @param {HTMLElement} el
 * @param {GateRecord | undefined} gate
 * @param {RunStatus} s
 */
export function renderGate(el, gate, s) {
  el.hidden = !gate;
  if (!gate) return replace(el);
  const voted = new Set(gate.votes.map((v) => v.by));
  const approvals = gate.votes.filter((v) => v.decision === 'approve').length;
  const who = [...(gate.approvers.groups || []).map((g) => `group ${g}`), ...(gate.approvers.users || []).map((u) => `user ${u}`)].join(', ');
  const still = gate.eligible.filter((p) => !voted.has(p));
  replace(
    el,
    h('h2', {}, `Approval needed: ${gate.title}`),
    h(
      'p',
      {},
      h('strong', { id: 'gate-count' }, `${approvals} of ${gate.quorum}`),
      ' approvals · approvers: ',
      who || '-',
      ` · expires ${when(gate.expiresAt)} (then ${gate.onExpiry})`,
    ),
    h(
      'p',
      {},
      'May still vote: ',
      h('span', { id: 'may-vote' }, still.length ? still.join(', ') : 'nobody'),
      ` (the requester, ${s.requestedBy}, never approves)`,
    ),
    gate.votes.length
      ? h(
          'ul',
          { id: 'votes' },
          gate.votes.map((v) =>
            h(
              'li',
              {},
              `${v.by} ${v.decision === 'approve' ? 'approved' : 'rejected'} at ${when(v.at)}`,
              v.comment ? [': “', v.comment, '”'] : '',
              ' ',
              v.verified ? h('span', { class: 'verified' }, `✔ verified ${v.verified.keyType} ${v.verified.fingerprint}`) : '',
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No votes yet.'),
  );
}

/**
 * A step waiting for an operator: its error, and a button for each action it allows.
 * @param {HTMLElement} el
 * @param {HTMLElement} actions Where the buttons go, beside the comment box.
 * @param {RunStatus} s
 * @param {(action: 'retry' | 'skip' | 'abort') => void} act
 */
export function renderIntervention(el, actions, s, act) {
  const i = s.intervention;
  el.hidden = !i;
  if (!i) {
    replace(actions);
    return replace(el);
  }
  replace(
    el,
    h('h2', {}, `Step ${i.step} needs an operator`),
    h('pre', { class: 'error', id: 'intervention-error' }, i.error),
    h('p', { class: 'muted' }, `waiting since ${when(i.since)}; allowed: ${i.options.join(', ')}`),
  );
  replace(
    actions,
    i.options.map((o) =>
      h('button', { type: 'button', class: o === 'abort' ? 'danger' : 'primary', dataset: { action: o }, onclick: () => act(o) }, `${o} (signed)`),
    ),
  );
}

/**
 * RTO and RPO against the runbook's objectives, and where the time went.
 * @param {HTMLElement} el
 * @param {RunView['report']} report
 * @param {RunStatus} s
 */
export function renderObjectives(el, report, s) {
  const m = report.measurements || {};
  const rows = (report.objectives || []).map((o) =>
    h(
      'tr',
      {},
      h('td', {}, String(o.objective).toUpperCase()),
      h('td', {}, o.measuredSeconds === undefined ? 'not yet' : `${o.measuredSeconds}s`),
      h('td', {}, `${o.targetSeconds}s`),
      h('td', {}, o.measuredSeconds === undefined ? '-' : o.met ? h('span', { class: 'verified' }, 'met') : h('span', { class: 'error' }, 'MISSED')),
      h('td', { class: 'hide-narrow' }, o.countedFrom || ''),
    ),
  );
  replace(
    el,
    h('h2', {}, 'RTO and RPO'),
    rows.length
      ? h(
          'table',
          { id: 'objectives-table' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'Measure'),
              h('th', {}, 'Measured'),
              h('th', {}, 'Objective'),
              h('th', {}, 'Result'),
              h('th', { class: 'hide-narrow' }, 'From'),
            ),
          ),
          h('tbody', {}, rows),
        )
      : h('p', { class: 'muted' }, s.objectives ? 'Not measured yet.' : 'This runbook declares no objectives.'),
    m.rpoBytes !== undefined || m.rpoWrites !== undefined
      ? h('p', { class: 'muted' }, `data at risk: ${m.rpoBytes ?? '-'} WAL bytes, ${m.rpoWrites ?? '-'} acknowledged writes`)
      : null,
    report.totals
      ? h(
          'p',
          { class: 'muted' },
          `work ${report.totals.workSeconds}s · waiting for approvers ${report.totals.gateWaitSeconds}s · waiting for operators ${report.totals.operatorWaitSeconds}s`,
        )
      : null,
  );
}

/**
 * Who did what and when, with the key behind each signed decision, and the decisions the run refused.
 * @param {HTMLElement} el
 * @param {RunStatus} s
 */
export function renderAudit(el, s) {
  replace(
    el,
    h('h2', {}, 'Audit trail'),
    s.auditDropped ? h('p', { class: 'muted' }, `${s.auditDropped} older entries are only in the history (lifeboat verify reads them)`) : null,
    h(
      'table',
      { id: 'audit-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Who'), h('th', {}, 'What'), h('th', {}, 'Detail'), h('th', {}, 'Signed'))),
      h(
        'tbody',
        {},
        s.audit.map((a) =>
          h(
            'tr',
            {},
            h('td', { title: a.at }, clock(a.at)),
            h('td', {}, a.actor),
            h('td', {}, a.action),
            h('td', {}, a.detail || '', a.comment ? [' “', a.comment, '”'] : ''),
            h('td', {}, a.verified ? h('span', { class: 'verified', title: a.verified.nonce }, `✔ ${a.verified.keyType} ${a.verified.fingerprint}`) : ''),
          ),
        ),
      ),
    ),
    s.refused ? h('p', { class: 'muted' }, `${s.refused.count} decisions refused; latest by ${s.refused.lastBy}: ${s.refused.lastReason}`) : null,
  );
}
