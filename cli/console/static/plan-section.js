// @ts-check
// A plan run's part of its page: the one decision and who signed it, the plan's RTO from detection and RPO, and its
// members across services (each linking to its own run's page), the critical path marked, with any member gate that
// waits for its own people shown open, with a link to decide it there. The chart itself is the timeline card's image.

import { badge, h, replace } from './dom.js';
import { runHref, when } from './format.js';

/** @import { PlanView, PlanMemberRow } from './api.js' */

/** @param {number | undefined} s */
const secs = (s) => (s === undefined ? '-' : `${s}s`);

/**
 * Draws the plan's part, or hides it for a runbook's run.
 * @param {HTMLElement} el
 * @param {PlanView | undefined} plan
 */
export function renderPlan(el, plan) {
  el.hidden = !plan;
  if (!plan) return replace(el);
  replace(el, h('h2', {}, 'Recovery plan: members across services'), objectivesLine(plan), decision(plan), openGates(plan), membersTable(plan), notMoved(plan));
}

/**
 * The plan's RTO (from detection when known) and RPO against its objectives, and the forecast made before the decision.
 * @param {PlanView} plan
 */
function objectivesLine(plan) {
  const m = plan.measurements || {};
  const rto = plan.objectives.find((o) => o.objective === 'rto');
  const verdict = rto && rto.measuredSeconds !== undefined ? (rto.met ? ' (met)' : ' (MISSED)') : '';
  return h(
    'p',
    { id: 'plan-rto' },
    m.rtoFromDetectionSeconds !== undefined
      ? h('strong', {}, `RTO from detection ${secs(m.rtoFromDetectionSeconds)}`)
      : h('strong', {}, `RTO ${m.rtoSeconds === undefined ? 'not yet' : secs(m.rtoSeconds)}`),
    rto ? ` · objective ${rto.targetSeconds}s${verdict}` : '',
    m.rtoFromDetectionSeconds !== undefined ? ` · from the plan's start ${secs(m.rtoSeconds)}` : '',
    ` · RPO ${secs(m.rpoSeconds)}${m.rpoWrites !== undefined ? `, ${m.rpoWrites} acknowledged writes lost` : ''}`,
    plan.forecast
      ? h(
          'span',
          { class: 'muted', id: 'plan-forecast', title: plan.forecast.summary },
          plan.forecast.medianSeconds === undefined
            ? ' · forecast unknown (a member had no recent run)'
            : ` · forecast ${secs(plan.forecast.medianSeconds)}${
                plan.forecast.errorSeconds !== undefined
                  ? `, actual ${secs(plan.forecast.actualAfterDecisionSeconds)} after the decision (${plan.forecast.errorSeconds > 0 ? '+' : ''}${plan.forecast.errorSeconds}s)`
                  : ''
              }`,
        )
      : null,
  );
}

/**
 * The one decision: the plan's gate, its policy, and each signer with the key the plan's workflow verified.
 * @param {PlanView} plan
 */
function decision(plan) {
  const d = plan.decision;
  const requires = d.requires && d.requires.length ? `, at least ${d.requires.map((r) => `${r.atLeast} of ${r.group}`).join(' and ')}` : '';
  return h(
    'div',
    { id: 'plan-decision' },
    h(
      'p',
      {},
      'The decision: gate ',
      h('strong', {}, d.gate),
      ' ',
      badge(d.status),
      d.quorum !== undefined ? ` · ${d.quorum} approvals${requires}` : '',
      d.waitedSeconds !== undefined ? ` · took ${d.waitedSeconds}s` : '',
    ),
    d.signers.length
      ? h(
          'ul',
          { id: 'plan-signers' },
          d.signers.map((v) =>
            h(
              'li',
              {},
              `${v.by} ${v.decision === 'approve' ? 'approved' : 'rejected'} at ${when(v.at)}`,
              v.comment ? [': “', v.comment, '”'] : '',
              ' ',
              v.fingerprint ? h('span', { class: 'verified' }, `✔ verified ${v.keyType || ''} ${v.fingerprint}`) : h('span', { class: 'muted' }, 'unsigned'),
            ),
          ),
        )
      : h('p', { class: 'muted' }, d.status === 'open' ? 'No signatures yet: approve below.' : 'No signatures.'),
  );
}

/**
 * Gates of members that do not take the plan's decision (not delegable): open, waiting for their own people.
 * @param {PlanView} plan
 */
function openGates(plan) {
  if (!plan.openGates.length) return null;
  return h(
    'div',
    { id: 'plan-open-gates' },
    plan.openGates.map((g) =>
      h(
        'p',
        { class: 'error', dataset: { member: g.member } },
        `${g.member} waits for its own approvers (not delegable): ${g.title}, open since ${when(g.openedAt)} · `,
        h('a', { href: `${runHref(g.runId)}#gate` }, `decide gate ${g.gate} on ${g.runId}`),
      ),
    ),
  );
}

/**
 * A row per member: its state, after whom it ran, its RTO and RPO, its work against its waits, and its own run's page.
 * @param {PlanView} plan
 */
function membersTable(plan) {
  /** @param {PlanMemberRow} m */
  const row = (m) =>
    h(
      'tr',
      { dataset: { member: m.member, state: m.state }, class: m.onCriticalPath ? 'critical' : null },
      h('td', {}, m.onCriticalPath ? '★ ' : '', h('a', { href: runHref(m.runId) }, m.member)),
      h(
        'td',
        {},
        badge(m.state),
        m.gates.some((g) => g.status === 'open' && !g.delegated) ? h('span', { class: 'badge state-waiting-approval' }, 'gate open') : null,
      ),
      h('td', { class: 'hide-narrow' }, m.after.join(', ') || '-'),
      h('td', {}, secs(m.rtoSeconds)),
      h('td', {}, m.rpoSeconds === undefined ? '-' : `${m.rpoSeconds}s${m.rpoWrites !== undefined ? ` (${m.rpoWrites} writes)` : ''}`),
      h('td', { class: 'hide-narrow' }, `${m.totals.workSeconds}s work · ${m.totals.gateWaitSeconds}s approvers · ${m.totals.operatorWaitSeconds}s operator`),
      h('td', { class: 'hide-narrow' }, m.error || m.statusNote || ''),
    );
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { id: 'plan-members' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'Member'),
          h('th', {}, 'State'),
          h('th', { class: 'hide-narrow' }, 'After'),
          h('th', {}, 'RTO'),
          h('th', {}, 'RPO'),
          h('th', { class: 'hide-narrow' }, 'Work and waits'),
          h('th', { class: 'hide-narrow' }, 'Error'),
        ),
      ),
      h('tbody', {}, plan.members.map(row)),
    ),
    h('p', { class: 'muted', id: 'plan-critical-path' }, `Critical path (★): ${plan.criticalPath.length ? plan.criticalPath.join(' → ') : 'none yet'}`),
  );
}

/**
 * Members the plan skipped, and those it has not started (or never will).
 * @param {PlanView} plan
 */
function notMoved(plan) {
  if (!plan.skipped.length && !plan.notStarted.length) return null;
  return h(
    'p',
    { class: 'muted', id: 'plan-not-moved' },
    [
      ...plan.skipped.map((k) => `${k.member} skipped${k.by ? ` by ${k.by}` : ''}${k.reason ? ` (${k.reason})` : ''}`),
      ...plan.notStarted.map((n) => `${n} not started`),
    ].join(' · '),
  );
}
