// @ts-check
// A run's page (/run/ID): followed live, with a signed decision behind every button (approve, reject, an operator's
// action, abort, the return from manual booking, hands-on repairs and reconciliation conflicts).

import * as api from './api.js';
import { closeHosts, handsOnChecklist } from './hands-on.js';
import { conflictDesk, resolveConflicts } from './conflicts.js';
import { h, replace, within } from './dom.js';
import { messageOf, when } from './format.js';
import { watch } from './live.js';
import { signWithPasskey } from './passkey.js';
import { renderPlan } from './plan-section.js';
import { renderAudit, renderGate, renderHead, renderIntervention, renderObjectives, renderTimeline, renderWarnings } from './run-sections.js';
import { finishedStates } from './run-states.js';
import { signer, whoami } from './whoami.js';

/** @import { GateReceipt, GateRecord, Receipts, ResumeReceipt, RunStatus, RunView } from './api.js' */

/**
 * The decisions taken with the comment box: a gate's vote, an operator's action, an abort, the return to normal.
 * @typedef {'approve' | 'reject' | 'retry' | 'skip' | 'abort' | 'resume'} Decision
 */

/**
 * @param {HTMLElement} main
 * @param {string} runId
 */
export function runPage(main, runId) {
  const parts = {
    head: h('div', { id: 'run-head' }),
    timeline: h('section', { class: 'card timeline', id: 'timeline' }),
    plan: h('section', { class: 'card', id: 'plan', hidden: true }),
    gate: h('section', { class: 'card', id: 'gate', hidden: true }),
    intervention: h('section', { class: 'card', id: 'intervention', hidden: true }),
    handsOn: h('section', { class: 'card', id: 'hands-on', hidden: true }),
    conflicts: h('section', { class: 'card', id: 'conflicts', hidden: true }),
    objectives: h('section', { class: 'card', id: 'objectives' }),
    audit: h('section', { class: 'card table-wrap', id: 'audit' }),
    details: h('section', { class: 'card', id: 'details' }),
    problem: h('div', { id: 'problem' }),
    warnings: h('div', { id: 'warnings' }),
  };
  const comment = h('textarea', { id: 'comment', name: 'comment', maxlength: 2000, placeholder: 'comment or reason (optional; it goes into the audit trail)' });
  const result = h('div', { id: 'decision-result', role: 'status' });
  /** @param {Decision} kind */
  const act = (kind) => void decide(runId, kind, comment, result);
  const gateBar = h(
    'div',
    { class: 'decide-bar', id: 'gate-actions', hidden: true },
    h('button', { class: 'approve', id: 'approve', type: 'button', onclick: () => act('approve') }, 'Approve'),
    h('button', { class: 'reject', id: 'reject', type: 'button', onclick: () => act('reject') }, 'Reject'),
    h('p', { class: 'note', id: 'gate-note' }),
  );
  const operatorActions = h('div', { class: 'actions', id: 'operator-actions' });
  const resume = h(
    'section',
    { class: 'card', id: 'resume-box', hidden: true },
    h('h2', {}, 'Booking is in manual mode'),
    h('p', { class: 'muted', id: 'resume-note' }),
    h('button', { class: 'primary', type: 'button', id: 'resume', onclick: () => act('resume') }, 'Return to normal booking (signed)'),
  );
  const abort = h(
    'details',
    { class: 'card', id: 'abort-box' },
    h('summary', {}, 'Abort this run'),
    h('p', { class: 'muted' }, 'Stops after the current step and runs the undos. Signed with your passkey; the reason goes into the audit trail.'),
    h('button', { class: 'danger', type: 'button', onclick: () => act('abort') }, 'Abort (signed)'),
  );
  replace(
    main,
    parts.head,
    parts.problem,
    parts.warnings,
    parts.gate,
    parts.intervention,
    parts.plan,
    resume,
    h('section', { class: 'card' }, h('label', {}, 'Comment or reason', comment), result, operatorActions),
    parts.handsOn,
    parts.conflicts,
    parts.timeline,
    parts.objectives,
    parts.audit,
    parts.details,
    abort,
    gateBar,
  );
  let timelineKey = '';
  // A notice's link names the part of the page it is about (#gate, #intervention); it exists once the run is drawn.
  let anchored = !location.hash;
  const handsOn = handsOnChecklist(parts.handsOn, (action, hosts, reason, outcome) => void closeHosts(runId, action, hosts, reason, outcome));
  const conflicts = conflictDesk(parts.conflicts, (request, comment, outcome) => void resolveConflicts(runId, request, comment, outcome));
  /** @param {RunView} view */
  const render = (view) => {
    const s = view.status;
    replace(parts.problem);
    renderWarnings(parts.warnings, s);
    renderHead(parts.head, s, view.links);
    const key = `${s.updatedAt}|${s.steps.length}|${s.state}`;
    if (key !== timelineKey) {
      timelineKey = key;
      renderTimeline(parts.timeline, s, view.links.timeline);
    }
    const gate = s.gates.find((g) => g.status === 'open');
    renderGate(parts.gate, gate, s);
    gateBar.hidden = !gate;
    if (gate) replace(within(gateBar, '#gate-note', HTMLElement), gateNote(gate, s, whoami().value));
    renderIntervention(parts.intervention, operatorActions, s, act);
    renderPlan(parts.plan, view.plan);
    handsOn.render(s);
    conflicts.render(s);
    renderObjectives(parts.objectives, view.report, s);
    renderAudit(parts.audit, s);
    replace(
      parts.details,
      h('h2', {}, 'Details the runbook published'),
      h('pre', {}, JSON.stringify(s.details, null, 2)),
      s.outcome ? h('p', {}, h('strong', {}, 'Outcome: '), s.outcome) : null,
    );
    abort.hidden = finishedStates.includes(s.state);
    // A run holding in manual booking mode waits for someone to start the return (lifeboat resume).
    resume.hidden = s.details.phase !== 'holding';
    if (!resume.hidden)
      replace(
        within(resume, '#resume-note', HTMLElement),
        `Holding since ${when(s.details.holding && s.details.holding.since)}. Returning checks the database, asks for approval, then reconciles the offline ledger.`,
      );
    if (!anchored) {
      anchored = true;
      const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      if (target && !target.hidden) target.scrollIntoView();
    }
  };
  /** @type {RunView | undefined} */
  let last;
  whoami().addEventListener('change', () => last && render(last));
  watch(
    `run=${encodeURIComponent(runId)}`,
    /** @param {RunView} view */ (view) => render((last = view)),
    (p) => replace(parts.problem, h('p', { class: 'error' }, p.message, p.suggestion ? `\nfix: ${p.suggestion}` : '')),
  );
}

/**
 * What tapping Approve will do for the person chosen at the top, said before they tap.
 * @param {GateRecord} gate
 * @param {RunStatus} s
 * @param {string} me
 */
function gateNote(gate, s, me) {
  const voted = gate.votes.map((v) => v.by);
  return !me
    ? 'Choose who you are at the top, then tap: your passkey signs the vote.'
    : me === s.requestedBy
      ? `${me} started this run and may not approve it; the run will refuse.`
      : voted.includes(me)
        ? `${me} has already voted.`
        : gate.eligible.includes(me)
          ? `Signing as ${me} with a passkey.`
          : `${me} is not among this gate's approvers; the run will refuse.`;
}

/**
 * Signs a decision on the run with the passkey and sends it; the outcome, or why it was refused, shows under the
 * comment box. The buttons that decide are off until it is done, so one tap is one decision.
 * @param {string} runId
 * @param {Decision} kind
 * @param {HTMLTextAreaElement} comment
 * @param {HTMLElement} result
 */
async function decide(runId, kind, comment, result) {
  const buttons = [...document.querySelectorAll('#gate-actions button, #operator-actions button, #abort-box button, #resume-box button')].filter(
    (b) => b instanceof HTMLButtonElement,
  );
  buttons.forEach((b) => (b.disabled = true));
  replace(result, h('p', { class: 'muted' }, `Signing ${kind} with your passkey…`));
  try {
    const by = signer();
    const prepared = await api.prepareDecision(runId, { kind, by, ...(comment.value.trim() ? { comment: comment.value } : {}) });
    const signature = await signWithPasskey(prepared);
    const receipt = await api.submitDecision(runId, { kind, statement: prepared.statement, signature });
    replace(result, h('p', { class: 'ok', id: 'decision-ok' }, decided(by, kind, receipt)));
    comment.value = '';
  } catch (err) {
    replace(result, h('p', { class: 'error', id: 'decision-error' }, messageOf(err)));
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

/**
 * What a decision did, from the run's receipt.
 * @param {string} by
 * @param {Decision} kind
 * @param {Receipts[Decision]} receipt
 */
function decided(by, kind, receipt) {
  if (kind === 'approve' || kind === 'reject') {
    const gate = /** @type {GateReceipt} */ (receipt);
    return `${by} ${kind === 'approve' ? 'approved' : 'rejected'}: gate ${gate.gate} is ${gate.status}${gate.status === 'open' ? ` (${gate.approvals}/${gate.quorum})` : ''}`;
  }
  if (kind === 'resume') {
    const resumed = /** @type {ResumeReceipt} */ (receipt);
    return `${by} asked to return to normal; database: ${resumed.database}; next: ${resumed.next}`;
  }
  return `${by} chose ${kind}`;
}
