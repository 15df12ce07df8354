// @ts-check
// The hands-on checklist of a run that has one (isolate-vendor-module), and closing its ticked hosts with signed
// decisions, as `lifeboat task done|waive --hosts-file` does.

import * as api from './api.js';
import { h, replace } from './dom.js';
import { messageOf, when } from './format.js';
import { signWithPasskey } from './passkey.js';
import { finishedStates } from './run-states.js';
import { signer } from './whoami.js';

/** @import { RunStatus, TaskReceipt } from './api.js' */

/**
 * What the checklist's buttons ask for: close these hosts, with the reason in that box, and show the outcome there.
 * @typedef {(action: 'done' | 'waive', hosts: string[], reason: HTMLInputElement, outcome: HTMLElement) => void} CloseHosts
 */

/**
 * The open hosts with a tick box each, for a field team to mark the ones they repaired, or waive them with a reason.
 * Ticks survive the live updates; a host closed meanwhile (by the CLI, or another page) drops out of the list and out
 * of the ticks.
 * @param {HTMLElement} el
 * @param {CloseHosts} close
 * @returns {{ render(s: RunStatus): void }}
 */
export function handsOnChecklist(el, close) {
  /** @type {Set<string>} */
  const ticked = new Set();
  let listKey = '';
  const all = h('input', { type: 'checkbox', id: 'hands-on-all' });
  const count = h('span', { id: 'hands-on-ticked' }, '0 ticked');
  const list = h('ul', { class: 'checklist', id: 'hands-on-open' });
  const summary = h('p', { id: 'hands-on-summary' });
  const more = h('p', { class: 'muted', id: 'hands-on-more', hidden: true });
  // The outcome shows under the buttons, where a thumb that just tapped one is looking.
  const outcome = h('div', { id: 'hands-on-result', role: 'status' });
  const reason = h('input', {
    type: 'text',
    id: 'hands-on-reason',
    maxlength: 2000,
    placeholder: 'why, for a waiver (it goes into the audit trail)',
  });
  const buttons = h(
    'div',
    { class: 'actions', id: 'hands-on-actions' },
    h(
      'button',
      { class: 'primary', type: 'button', id: 'hands-on-done', onclick: () => close('done', [...ticked], reason, outcome) },
      'Mark ticked hosts repaired (signed)',
    ),
    h('label', {}, 'Reason to waive', reason),
    h('button', { type: 'button', id: 'hands-on-waive', onclick: () => close('waive', [...ticked], reason, outcome) }, 'Waive ticked hosts (signed)'),
  );
  /** @returns {HTMLInputElement[]} */
  const boxes = () => [...list.querySelectorAll('input[type=checkbox]')].filter((x) => x instanceof HTMLInputElement);
  const recount = () => {
    count.textContent = `${ticked.size} ticked`;
    const b = boxes();
    all.checked = b.length > 0 && b.every((x) => x.checked);
  };
  all.addEventListener('change', () => {
    for (const box of boxes()) {
      box.checked = all.checked;
      if (all.checked) ticked.add(box.value);
      else ticked.delete(box.value);
    }
    recount();
  });
  replace(
    el,
    h('h2', {}, 'Hands-on repairs'),
    summary,
    more,
    h('p', {}, h('label', { class: 'inline' }, all, ' tick every open host shown'), ' · ', count),
    list,
    buttons,
    outcome,
  );
  return {
    render(s) {
      const q = s.details && s.details.handsOn;
      el.hidden = !q;
      if (!q) return;
      const open = q.tasks.filter((t) => t.status === 'open');
      replace(summary, `${q.open} open · ${q.done} repaired · ${q.waived} waived · deadline ${when(q.deadline)}`);
      more.hidden = !q.listed;
      if (q.listed) replace(more, `Showing the first ${q.listed} hosts; lifeboat task list ${s.runId} --open lists the rest.`);
      buttons.hidden = open.length === 0 || finishedStates.includes(s.state);
      const key = open.map((t) => t.host).join(',');
      if (key === listKey) return;
      listKey = key;
      const stillOpen = new Set(open.map((t) => t.host));
      for (const host of [...ticked]) if (!stillOpen.has(host)) ticked.delete(host);
      replace(
        list,
        open.length
          ? open.map((t) => {
              const box = h('input', { type: 'checkbox', value: t.host, checked: ticked.has(t.host) });
              box.addEventListener('change', () => {
                if (box.checked) ticked.add(t.host);
                else ticked.delete(t.host);
                recount();
              });
              return h(
                'li',
                { dataset: { host: t.host } },
                h('label', {}, box, ' ', h('strong', {}, t.host), ` · ${t.wave} · `, h('span', { class: 'muted' }, t.reason)),
              );
            })
          : h('li', { class: 'muted' }, 'No host is waiting for hands-on repair.'),
      );
      recount();
    },
  };
}

/**
 * Closes ticked hosts as `lifeboat task done|waive --hosts-file` does: the console splits them into lists that each
 * fit one signed decision, and each is signed with the passkey and sent in turn; a refusal stops there and says how
 * many hosts the decisions before it closed.
 * @param {string} runId
 * @param {'done' | 'waive'} action
 * @param {string[]} hosts
 * @param {HTMLInputElement} reasonInput
 * @param {HTMLElement} result
 */
export async function closeHosts(runId, action, hosts, reasonInput, result) {
  const buttons = [...document.querySelectorAll('#hands-on-actions button')].filter((b) => b instanceof HTMLButtonElement);
  buttons.forEach((b) => (b.disabled = true));
  const verb = action === 'done' ? 'repaired' : 'waived';
  try {
    if (!hosts.length) throw new Error('tick the hosts first');
    const by = signer();
    const reason = reasonInput.value.trim();
    const prepared = await api.prepareTask(runId, { action, hosts, by, ...(reason ? { reason } : {}) });
    let closed = 0;
    /** @type {TaskReceipt | undefined} */
    let receipt;
    const n = prepared.statements.length;
    for (const [i, statement] of prepared.statements.entries()) {
      const list = prepared.lists[i] || [];
      replace(result, h('p', { class: 'muted' }, `Signing ${list.length} hosts ${verb} with your passkey${n > 1 ? ` (${i + 1} of ${n})` : ''}…`));
      try {
        const signature = await signWithPasskey(statement);
        receipt = await api.submitDecision(runId, { kind: 'task', statement: statement.statement, signature });
      } catch (err) {
        if (closed === 0) throw err;
        throw new Error(`${messageOf(err)}\n${closed} of ${hosts.length} hosts were marked ${verb} by the decisions before this one`);
      }
      closed += list.length;
    }
    if (!receipt) throw new Error('the console prepared no decision to sign');
    replace(
      result,
      h(
        'p',
        { class: 'ok', id: 'hands-on-ok' },
        `${by} marked ${closed} host${closed === 1 ? '' : 's'} ${verb} (${n} signed decision${n === 1 ? '' : 's'}); ${receipt.open} still open`,
      ),
    );
    reasonInput.value = '';
  } catch (err) {
    replace(result, h('p', { class: 'error', id: 'hands-on-error' }, messageOf(err)));
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}
