// @ts-check
// The reconciliation conflicts of a manual-booking run, decided with signed decisions as `lifeboat resolve` does.

import * as api from './api.js';
import { h, replace } from './dom.js';
import { messageOf } from './format.js';
import { signWithPasskey } from './passkey.js';
import { finishedStates } from './run-states.js';
import { signer } from './whoami.js';

/** @import { RunStatus } from './api.js' */

/**
 * One conflict and what to keep, or the earliest-wins rule over every conflict it decides.
 * @typedef {{ conflict: string, decision: string } | { rule: 'earliest-wins' }} Resolution
 */

/**
 * What the desk's buttons ask for: this resolution, with the comment in that box, and the outcome shown there.
 * @typedef {(request: Resolution, comment: HTMLInputElement, outcome: HTMLElement) => void} Resolve
 */

/** @type {Record<string, string>} */
const decisionLabels = {
  'keep-database': "Keep the database's",
  'keep-ledger': "Keep the counter's",
  'keep-both': 'Keep both',
  discard: 'Discard the entry',
};

/**
 * The conflicts for airline operations to decide: a button per decision the conflict allows, or the earliest-wins
 * rule over every conflict it decides. Decided ones are listed with who decided them.
 * @param {HTMLElement} el
 * @param {Resolve} resolve
 * @returns {{ render(s: RunStatus): void }}
 */
export function conflictDesk(el, resolve) {
  const comment = h('input', { type: 'text', id: 'conflicts-comment', maxlength: 2000, placeholder: 'why (optional; it goes into the audit trail)' });
  const outcome = h('div', { id: 'conflicts-result', role: 'status' });
  const summary = h('p', { id: 'conflicts-summary' });
  const list = h('ul', { class: 'checklist', id: 'conflicts-open' });
  const decided = h('ul', { class: 'muted', id: 'conflicts-decided' });
  const earliest = h(
    'button',
    { type: 'button', class: 'primary', id: 'conflicts-earliest', onclick: () => resolve({ rule: 'earliest-wins' }, comment, outcome) },
    'Earliest wins for every conflict it decides (signed)',
  );
  const commentBox = h('label', {}, 'Comment', comment);
  replace(el, h('h2', {}, 'Reconciliation conflicts'), summary, list, commentBox, earliest, outcome, decided);
  let key = '';
  return {
    render(s) {
      const records = (s.details && s.details.conflicts) || [];
      el.hidden = records.length === 0;
      if (!records.length) return;
      const open = records.filter((c) => c.status === 'open');
      // A finished run takes no more decisions: its open conflicts are listed without buttons.
      const finished = finishedStates.includes(s.state);
      const next = `${finished}|${records.map((c) => `${c.id}:${c.status}`).join(',')}`;
      if (next === key) return;
      key = next;
      replace(summary, `${open.length} open of ${records.length}`);
      earliest.hidden = finished || !open.some((c) => c.earliest);
      commentBox.hidden = finished || open.length === 0;
      replace(
        list,
        open.length
          ? open.map((c) =>
              h(
                'li',
                { dataset: { conflict: c.id } },
                h(
                  'p',
                  {},
                  h('strong', {}, c.id),
                  ` · ${c.kind} · `,
                  c.detail,
                  c.earliest ? h('span', { class: 'muted' }, ` (earliest wins: ${c.earliest})`) : '',
                ),
                finished
                  ? null
                  : h(
                      'div',
                      { class: 'actions' },
                      c.options.map((d) =>
                        h(
                          'button',
                          { type: 'button', dataset: { decision: d }, onclick: () => resolve({ conflict: c.id, decision: d }, comment, outcome) },
                          `${decisionLabels[d] || d} (signed)`,
                        ),
                      ),
                    ),
              ),
            )
          : h('li', { class: 'muted' }, 'No conflict is waiting for a decision.'),
      );
      replace(
        decided,
        records
          .filter((c) => c.status !== 'open')
          .map((c) =>
            h('li', { dataset: { conflict: c.id } }, `${c.id}: ${c.resolution.decision} by ${c.resolution.by}${c.resolution.rule ? ' (earliest wins)' : ''}`),
          ),
      );
    },
  };
}

/**
 * Signs one reconciliation decision (or the rule) with the passkey and sends it, as `lifeboat resolve` does.
 * @param {string} runId
 * @param {Resolution} request
 * @param {HTMLInputElement} comment
 * @param {HTMLElement} outcome
 */
export async function resolveConflicts(runId, request, comment, outcome) {
  const buttons = [...document.querySelectorAll('#conflicts button')].filter((b) => b instanceof HTMLButtonElement);
  buttons.forEach((b) => (b.disabled = true));
  replace(outcome, h('p', { class: 'muted' }, 'Signing with your passkey…'));
  try {
    const by = signer();
    const text = comment.value.trim();
    const prepared = await api.prepareDecision(runId, { kind: 'resolve', by, ...request, ...(text ? { comment: text } : {}) });
    const signature = await signWithPasskey(prepared);
    const receipt = await api.submitDecision(runId, { kind: 'resolve', statement: prepared.statement, signature });
    const what = receipt.resolved.map((r) => `${r.id}: ${r.decision}`).join(', ');
    replace(outcome, h('p', { class: 'ok', id: 'conflicts-ok' }, `${by} decided ${what}; ${receipt.open} conflict${receipt.open === 1 ? '' : 's'} still open`));
    comment.value = '';
  } catch (err) {
    replace(outcome, h('p', { class: 'error', id: 'conflicts-error' }, messageOf(err)));
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}
