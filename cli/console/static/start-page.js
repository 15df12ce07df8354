// @ts-check
// Starting a runbook (/start): a form made from its input schema, checked by the console as `lifeboat run` checks it,
// the plan shown, and then a start signed with the person's passkey.

import * as api from './api.js';
import { h, replace, within } from './dom.js';
import { messageOf, runHref } from './format.js';
import { signWithPasskey } from './passkey.js';
import { fieldFor, inputFrom } from './schema-form.js';
import { signer } from './whoami.js';

/** @import { ConsoleConfig, InputSchema, PreparedStart, StartRequest } from './api.js' */

/**
 * @param {HTMLElement} main
 * @param {ConsoleConfig} config
 */
export function startPage(main, config) {
  const q = new URLSearchParams(location.search);
  const pick = h(
    'select',
    { id: 'runbook', name: 'runbook' },
    config.runbooks.map((r) => h('option', { value: r.id, selected: q.get('runbook') === r.id }, `${r.id}: ${r.title}`)),
  );
  const fields = h('div', { id: 'fields' });
  const drill = h(
    'select',
    { id: 'drill' },
    h('option', { value: '' }, 'a real run'),
    h('option', { value: 'isolated' }, 'an isolated drill'),
    h('option', { value: 'live' }, 'a live drill (game day)'),
  );
  const out = h('div', { id: 'start-out' });
  const form = h(
    'form',
    { class: 'card', id: 'start-form', novalidate: true },
    h('label', {}, 'Runbook', pick),
    h('p', { class: 'help', id: 'runbook-description' }),
    fields,
    h('label', {}, 'Run it as', drill),
    h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit' }, 'Check and show the plan')),
  );
  replace(main, h('h1', {}, 'Start a runbook'), form, out);
  /** @type {InputSchema | undefined} */
  let schema;
  const load = async () => {
    replace(out);
    const rb = await api.runbook(pick.value);
    const loaded = rb.schema;
    schema = loaded;
    replace(within(form, '#runbook-description', HTMLElement), rb.description);
    replace(
      fields,
      Object.entries(loaded.properties || {}).map(([name, prop]) => fieldFor(name, prop, (loaded.required || []).includes(name))),
    );
  };
  /** @param {unknown} err */
  const showError = (err) => replace(out, h('p', { class: 'error' }, messageOf(err)));
  pick.addEventListener('change', () => void load().catch(showError));
  const check = async () => {
    replace(out);
    try {
      /** @type {StartRequest} */
      const request = { runbook: pick.value, input: inputFrom(fields, schema), by: signer(), ...(drill.value ? { drill: drill.value } : {}) };
      showPlan(out, request, await api.prepareStart(request));
    } catch (err) {
      replace(out, h('p', { class: 'error', id: 'start-error' }, messageOf(err)));
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void check();
  });
  load().catch(showError);
}

/**
 * The plan of a checked start, with the button that signs it and starts the run.
 * @param {HTMLElement} out
 * @param {StartRequest} request
 * @param {PreparedStart} prepared
 */
function showPlan(out, request, prepared) {
  const go = h('button', { class: 'primary', type: 'button', id: 'sign-start' }, `Sign with your passkey and start ${prepared.runId}`);
  const status = h('div', {});
  const start = async () => {
    go.disabled = true;
    try {
      const signature = await signWithPasskey(prepared);
      const started = await api.submitStart({ request, statement: prepared.statement, signature });
      location.href = runHref(started.runId);
    } catch (err) {
      replace(status, h('p', { class: 'error' }, messageOf(err)));
      go.disabled = false;
    }
  };
  go.addEventListener('click', () => void start());
  replace(
    out,
    h(
      'section',
      { class: 'card' },
      h('h2', {}, `The plan for ${prepared.runId}`),
      h('pre', { id: 'plan' }, prepared.plan),
      h('p', { class: 'muted' }, 'Input after defaults:'),
      h('pre', {}, JSON.stringify(prepared.input, null, 2)),
      go,
      status,
    ),
  );
}
