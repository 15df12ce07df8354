// The Lifeboat console's pages. Every value from a run is put into the page as text (textContent), never as markup,
// so a reason or comment holding <script> is shown as those characters. Decisions are signed here, in the browser,
// with the person's passkey; the server only relays them to the run, which verifies them.
'use strict';

const main = document.getElementById('main');
const whoami = document.getElementById('whoami');
let config = { people: [], runbooks: [], rpId: location.hostname, namespace: 'default', temporalUiUrl: null, drillControls: false };
let live = undefined;

// ---- small DOM helpers ---------------------------------------------------------------------------------------------

/** An element with attributes and children; strings become text nodes. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function replace(el, ...children) {
  el.replaceChildren(
    ...children
      .flat(Infinity)
      .filter((c) => c !== undefined && c !== null && c !== false)
      .map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))),
  );
  return el;
}

function badge(state) {
  return h('span', { class: `badge state-${String(state).replace(/[^a-z-]/g, '')}`, dataset: { state } }, state);
}

/** The console's address of a run; each part of the workflow ID is encoded, so no ID can leave the /run/ path. */
function runHref(runId) {
  return `/run/${String(runId).split('/').map(encodeURIComponent).join('/')}`;
}

function when(iso) {
  if (!iso) return '-';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

/** The time of day, for rows of one run (the full time is in the cell's title). */
function clock(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleTimeString();
}

function seconds(ms) {
  return ms === undefined || ms === null ? '-' : `${(ms / 1000).toFixed(1)}s`;
}

let toastTimer;
function toast(text) {
  const el = document.getElementById('toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), 6000);
}

async function api(path, body) {
  const res = await fetch(
    `/api/${path}`,
    body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
  );
  const json = await res.json().catch(() => ({ error: { message: `HTTP ${res.status}` } }));
  if (!res.ok) {
    const e = json.error || {};
    throw new Error(`${e.message || `HTTP ${res.status}`}${e.suggestion ? `\nfix: ${e.suggestion}` : ''}`);
  }
  return json;
}

/**
 * Follows a run (`run=ID`) or the list (filters) live. When the console refuses the stream (429 or 503: too many live
 * pages open), EventSource gives up for good (CLOSED), and the page polls the same API every few seconds instead.
 */
function watch(path, onUpdate, onProblem) {
  if (live) live.close();
  const stream = new EventSource(`/api/events?${path}`);
  live = stream;
  stream.addEventListener('update', (e) => onUpdate(JSON.parse(e.data)));
  stream.addEventListener('problem', (e) => onProblem && onProblem(JSON.parse(e.data)));
  stream.addEventListener('error', () => {
    if (live === stream && stream.readyState === EventSource.CLOSED) live = pollInstead(path, onUpdate, onProblem);
  });
}

/** Polls what a refused stream would have sent; like the stream, it hands on only what changed, so typing is not redrawn. */
function pollInstead(path, onUpdate, onProblem) {
  const url = path.startsWith('run=') ? `/api/run?${path}` : `/api/runs?${path}`;
  let last = '';
  let timer;
  let stopped = false;
  const tick = async () => {
    try {
      const res = await fetch(url);
      const text = await res.text();
      if (!stopped && text !== last) {
        last = text;
        const body = JSON.parse(text);
        if (res.ok) onUpdate(body);
        else if (onProblem) onProblem((body && body.error) || { message: `HTTP ${res.status}` });
      }
    } catch (err) {
      if (!stopped && onProblem) onProblem({ message: `cannot reach the console: ${err instanceof Error ? err.message : String(err)}` });
    }
    if (!stopped) timer = setTimeout(tick, 3000);
  };
  void tick();
  return {
    close() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

// ---- passkeys --------------------------------------------------------------------------------------------------------

function b64url(buffer) {
  const bytes = new Uint8Array(buffer);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromB64url(text) {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Signs a prepared statement with a passkey: the challenge is SHA-256 of the statement's canonical JSON, computed
 * here from the very text that is sent, so the passkey signs what the page shows.
 */
async function signWithPasskey(prepared) {
  if (!window.PublicKeyCredential) throw new Error('this browser has no passkey support');
  const canonical = prepared.statement.replace(/\n$/, '');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical)));
  if (`sha256:${hex(digest)}` !== prepared.digest) throw new Error('the statement does not match its digest; not signing');
  const by = JSON.parse(canonical).by;
  if (!prepared.credentialIds.length)
    throw new Error(`${by} has no passkey for ${prepared.rpId} in the roster; enrol one on the Passkeys page (lifeboat passkey add), or use the CLI`);
  const credential = await navigator.credentials.get({
    publicKey: {
      challenge: digest,
      rpId: prepared.rpId,
      allowCredentials: prepared.credentialIds.map((id) => ({ type: 'public-key', id: fromB64url(id) })),
      userVerification: 'required',
      timeout: 120000,
    },
  });
  if (!credential) throw new Error('no passkey answered');
  const r = credential.response;
  return `webauthn.v1.${[b64url(credential.rawId), b64url(r.authenticatorData), b64url(r.clientDataJSON), b64url(r.signature)].join('.')}`;
}

function signer() {
  const id = whoami.value;
  if (!id) throw new Error('choose who you are ("Signing as", at the top) first');
  return id;
}

// ---- runs list -------------------------------------------------------------------------------------------------------

// States in which a run takes no more decisions: its own final ones, and the ones Temporal ended it in (terminate,
// timeout, cancel) without the run saying so.
const finishedStates = ['succeeded', 'failed', 'aborted', 'terminated', 'timed-out', 'canceled'];
const states = ['running', 'waiting-approval', 'needs-intervention', 'compensating', ...finishedStates];

function runsPage() {
  const q = new URLSearchParams(location.search);
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
    for (const el of form.elements) if (el.name && el.value) params.set(el.name, el.value);
    history.replaceState(null, '', params.toString() ? `/?${params}` : '/');
    watch(
      params.toString() || 'list=1',
      (runs) => renderRuns(body, runs),
      (p) => replace(body, h('tr', {}, h('td', { colspan: 4, class: 'error' }, p.message))),
    );
  };
  form.addEventListener('change', apply);
  form.addEventListener('submit', (e) => (e.preventDefault(), apply()));
  apply();
}

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

// ---- a run -----------------------------------------------------------------------------------------------------------

function runPage(runId) {
  const parts = {
    head: h('div', { id: 'run-head' }),
    timeline: h('section', { class: 'card timeline', id: 'timeline' }),
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
  const gateBar = h(
    'div',
    { class: 'decide-bar', id: 'gate-actions', hidden: true },
    h('button', { class: 'approve', id: 'approve', type: 'button', onclick: () => decide(runId, 'approve', comment, result) }, 'Approve'),
    h('button', { class: 'reject', id: 'reject', type: 'button', onclick: () => decide(runId, 'reject', comment, result) }, 'Reject'),
    h('p', { class: 'note', id: 'gate-note' }),
  );
  const operatorActions = h('div', { class: 'actions', id: 'operator-actions' });
  const resume = h(
    'section',
    { class: 'card', id: 'resume-box', hidden: true },
    h('h2', {}, 'Booking is in manual mode'),
    h('p', { class: 'muted', id: 'resume-note' }),
    h(
      'button',
      { class: 'primary', type: 'button', id: 'resume', onclick: () => decide(runId, 'resume', comment, result) },
      'Return to normal booking (signed)',
    ),
  );
  const abort = h(
    'details',
    { class: 'card', id: 'abort-box' },
    h('summary', {}, 'Abort this run'),
    h('p', { class: 'muted' }, 'Stops after the current step and runs the undos. Signed with your passkey; the reason goes into the audit trail.'),
    h('button', { class: 'danger', type: 'button', onclick: () => decide(runId, 'abort', comment, result) }, 'Abort (signed)'),
  );
  replace(
    main,
    parts.head,
    parts.problem,
    parts.warnings,
    parts.gate,
    parts.intervention,
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
  const handsOn = handsOnChecklist(parts.handsOn, (action, hosts, reason, outcome) => closeHosts(runId, action, hosts, reason, outcome));
  const conflicts = conflictDesk(parts.conflicts, (request, comment, outcome) => resolveConflicts(runId, request, comment, outcome));
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
    if (gate) {
      const me = whoami.value;
      const voted = gate.votes.map((v) => v.by);
      replace(
        gateBar.querySelector('#gate-note'),
        !me
          ? 'Choose who you are at the top, then tap: your passkey signs the vote.'
          : me === s.requestedBy
            ? `${me} started this run and may not approve it; the run will refuse.`
            : voted.includes(me)
              ? `${me} has already voted.`
              : gate.eligible.includes(me)
                ? `Signing as ${me} with a passkey.`
                : `${me} is not among this gate's approvers; the run will refuse.`,
      );
    }
    renderIntervention(parts.intervention, operatorActions, s, (action) => decide(runId, action, comment, result));
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
        resume.querySelector('#resume-note'),
        `Holding since ${when(s.details.holding && s.details.holding.since)}. Returning checks the database, asks for approval, then reconciles the offline ledger.`,
      );
  };
  whoami.addEventListener('change', () => last && render(last));
  let last;
  watch(
    `run=${encodeURIComponent(runId)}`,
    (view) => render((last = view)),
    (p) => replace(parts.problem, h('p', { class: 'error' }, p.message, p.suggestion ? `\nfix: ${p.suggestion}` : '')),
  );
}

function renderHead(el, s, links) {
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

/** What an on-call engineer must not miss: a requested abort, pages that reached nobody, a history near its limits. */
function renderWarnings(el, s) {
  const lines = [];
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

function renderTimeline(el, s, svgUrl) {
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

function renderGate(el, gate, s) {
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

function renderIntervention(el, actions, s, act) {
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
 * The hands-on checklist of a run that has one (isolate-vendor-module): the open hosts with a tick box each, for a
 * field team to mark the ones they repaired, or waive them with a reason. Ticks survive the live updates; a
 * host closed meanwhile (by the CLI, or another page) drops out of the list and out of the ticks.
 */
function handsOnChecklist(el, close) {
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
  const boxes = () => [...list.querySelectorAll('input[type=checkbox]')];
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
 */
async function closeHosts(runId, action, hosts, reasonInput, result) {
  const buttons = [...document.querySelectorAll('#hands-on-actions button')];
  buttons.forEach((b) => (b.disabled = true));
  const verb = action === 'done' ? 'repaired' : 'waived';
  try {
    if (!hosts.length) throw new Error('tick the hosts first');
    const by = signer();
    const reason = reasonInput.value.trim();
    const prepared = await api(`task/prepare?run=${encodeURIComponent(runId)}`, { action, hosts, by, ...(reason ? { reason } : {}) });
    let closed = 0;
    let receipt;
    for (let i = 0; i < prepared.statements.length; i++) {
      const n = prepared.statements.length;
      replace(result, h('p', { class: 'muted' }, `Signing ${prepared.lists[i].length} hosts ${verb} with your passkey${n > 1 ? ` (${i + 1} of ${n})` : ''}…`));
      try {
        const signature = await signWithPasskey(prepared.statements[i]);
        receipt = await api(`decision/submit?run=${encodeURIComponent(runId)}`, { kind: 'task', statement: prepared.statements[i].statement, signature });
      } catch (err) {
        const message = err.message || String(err);
        if (closed === 0) throw err;
        throw new Error(`${message}\n${closed} of ${hosts.length} hosts were marked ${verb} by the decisions before this one`);
      }
      closed += prepared.lists[i].length;
    }
    const n = prepared.statements.length;
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
    replace(result, h('p', { class: 'error', id: 'hands-on-error' }, err.message || String(err)));
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

const decisionLabels = {
  'keep-database': "Keep the database's",
  'keep-ledger': "Keep the counter's",
  'keep-both': 'Keep both',
  discard: 'Discard the entry',
};

/**
 * The reconciliation conflicts of a manual-booking run, for airline operations to decide as `lifeboat resolve` does:
 * a button per decision the conflict allows, or the earliest-wins rule over every conflict it decides. Decided ones
 * are listed with who decided them.
 */
function conflictDesk(el, resolve) {
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

/** Signs one reconciliation decision (or the rule) with the passkey and sends it, as `lifeboat resolve` does. */
async function resolveConflicts(runId, request, comment, outcome) {
  const buttons = [...document.querySelectorAll('#conflicts button')];
  buttons.forEach((b) => (b.disabled = true));
  replace(outcome, h('p', { class: 'muted' }, 'Signing with your passkey…'));
  try {
    const by = signer();
    const text = comment.value.trim();
    const prepared = await api(`decision/prepare?run=${encodeURIComponent(runId)}`, { kind: 'resolve', by, ...request, ...(text ? { comment: text } : {}) });
    const signature = await signWithPasskey(prepared);
    const receipt = await api(`decision/submit?run=${encodeURIComponent(runId)}`, { kind: 'resolve', statement: prepared.statement, signature });
    const what = receipt.resolved.map((r) => `${r.id}: ${r.decision}`).join(', ');
    replace(outcome, h('p', { class: 'ok', id: 'conflicts-ok' }, `${by} decided ${what}; ${receipt.open} conflict${receipt.open === 1 ? '' : 's'} still open`));
    comment.value = '';
  } catch (err) {
    replace(outcome, h('p', { class: 'error', id: 'conflicts-error' }, err.message || String(err)));
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

function renderObjectives(el, report, s) {
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

function renderAudit(el, s) {
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

async function decide(runId, kind, comment, result) {
  const buttons = [...document.querySelectorAll('#gate-actions button, #operator-actions button, #abort-box button, #resume-box button')];
  buttons.forEach((b) => (b.disabled = true));
  replace(result, h('p', { class: 'muted' }, `Signing ${kind} with your passkey…`));
  try {
    const by = signer();
    const prepared = await api(`decision/prepare?run=${encodeURIComponent(runId)}`, { kind, by, ...(comment.value.trim() ? { comment: comment.value } : {}) });
    const signature = await signWithPasskey(prepared);
    const receipt = await api(`decision/submit?run=${encodeURIComponent(runId)}`, { kind, statement: prepared.statement, signature });
    const text =
      kind === 'approve' || kind === 'reject'
        ? `${by} ${kind === 'approve' ? 'approved' : 'rejected'}: gate ${receipt.gate} is ${receipt.status}${receipt.status === 'open' ? ` (${receipt.approvals}/${receipt.quorum})` : ''}`
        : kind === 'resume'
          ? `${by} asked to return to normal; database: ${receipt.database}; next: ${receipt.next}`
          : `${by} chose ${kind}`;
    replace(result, h('p', { class: 'ok', id: 'decision-ok' }, text));
    comment.value = '';
  } catch (err) {
    replace(result, h('p', { class: 'error', id: 'decision-error' }, err.message || String(err)));
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

// ---- start a runbook -------------------------------------------------------------------------------------------------

function startPage() {
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
  let schema;
  const load = async () => {
    replace(out);
    const rb = await api(`runbook?id=${encodeURIComponent(pick.value)}`);
    schema = rb.schema;
    replace(form.querySelector('#runbook-description'), rb.description);
    replace(
      fields,
      Object.entries(schema.properties || {}).map(([name, prop]) => fieldFor(name, prop, (schema.required || []).includes(name))),
    );
  };
  pick.addEventListener('change', () => load().catch((e) => replace(out, h('p', { class: 'error' }, e.message))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(out);
    try {
      const request = { runbook: pick.value, input: inputFrom(fields, schema), by: signer(), ...(drill.value ? { drill: drill.value } : {}) };
      const prepared = await api('start/prepare', request);
      const go = h('button', { class: 'primary', type: 'button', id: 'sign-start' }, `Sign with your passkey and start ${prepared.runId}`);
      const status = h('div', {});
      go.addEventListener('click', async () => {
        go.disabled = true;
        try {
          const signature = await signWithPasskey(prepared);
          const started = await api('start/submit', { request, statement: prepared.statement, signature });
          location.href = runHref(started.runId);
        } catch (err) {
          replace(status, h('p', { class: 'error' }, err.message));
          go.disabled = false;
        }
      });
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
    } catch (err) {
      replace(out, h('p', { class: 'error', id: 'start-error' }, err.message));
    }
  });
  load().catch((e) => replace(out, h('p', { class: 'error' }, e.message)));
}

/** One form field from a JSON Schema property: the same fields, defaults and descriptions as the runbook's zod schema. */
function fieldFor(name, prop, required) {
  const type = Array.isArray(prop.type) ? prop.type.find((t) => t !== 'null') : prop.type;
  const help = prop.description ? h('p', { class: 'help' }, prop.description) : null;
  const label = `${name}${required && prop.default === undefined ? ' (required)' : ''}`;
  const placeholder = prop.default !== undefined ? `default: ${typeof prop.default === 'object' ? JSON.stringify(prop.default) : prop.default}` : '';
  let input;
  if (prop.enum)
    input = h(
      'select',
      { name },
      h('option', { value: '' }, prop.default !== undefined ? `default (${prop.default})` : 'choose…'),
      prop.enum.map((v) => h('option', { value: String(v) }, String(v))),
    );
  else if (type === 'boolean')
    input = h(
      'select',
      { name },
      h('option', { value: '' }, prop.default !== undefined ? `default (${prop.default})` : 'choose…'),
      h('option', { value: 'true' }, 'yes'),
      h('option', { value: 'false' }, 'no'),
    );
  else if (type === 'integer' || type === 'number')
    input = h('input', { type: 'number', name, step: type === 'integer' ? 1 : 'any', min: prop.minimum, max: prop.maximum, placeholder });
  else if (type === 'string')
    input = h('input', {
      type: 'text',
      name,
      maxlength: prop.maxLength,
      placeholder: prop.format === 'date-time' ? 'e.g. 2026-11-26T03:00:00Z' : placeholder,
      autocomplete: 'off',
    });
  else input = h('textarea', { name, placeholder: `JSON${placeholder ? `, ${placeholder}` : ''}`, dataset: { json: '1' } });
  input.dataset.kind = type || 'json';
  return h('label', {}, label, input, help);
}

function inputFrom(fields, schema) {
  const input = {};
  for (const el of fields.querySelectorAll('input, select, textarea')) {
    const raw = el.value.trim();
    if (raw === '') continue;
    const kind = el.dataset.kind;
    if (kind === 'boolean') input[el.name] = raw === 'true';
    else if (kind === 'integer' || kind === 'number') input[el.name] = Number(raw);
    else if (kind === 'string') input[el.name] = raw;
    else {
      try {
        input[el.name] = JSON.parse(raw);
      } catch {
        const prop = schema.properties[el.name];
        // A list of words may be typed comma-separated, as --set takes it.
        input[el.name] =
          prop && prop.type === 'array'
            ? raw
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean)
            : raw;
      }
    }
  }
  return input;
}

// ---- drills and passkeys ---------------------------------------------------------------------------------------------

function drillsPage() {
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
  api('readiness')
    .then((rows) =>
      replace(
        board,
        h('h2', {}, 'Readiness: could each runbook run now?'),
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h('tr', {}, h('th', {}, 'Runbook'), h('th', {}, 'Target'), h('th', {}, 'Ready'), h('th', {}, 'Checked'), h('th', {}, 'Failing checks')),
          ),
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
      ),
    )
    .catch((e) => replace(board, h('p', { class: 'error' }, e.message)));
  const loadSchedules = async () => {
    const { schedules: list, controls } = await api('drills');
    const control = (id, action) =>
      h(
        'button',
        {
          type: 'button',
          onclick: async () => {
            try {
              await api('drills/control', { scheduleId: id, action });
              toast(`${action}: ${id}`);
              await loadSchedules();
            } catch (e) {
              toast(e.message);
            }
          },
        },
        action,
      );
    replace(
      schedules,
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
  };
  const loadHistory = async () => {
    const { entries } = await api(`drill-history?runbook=${encodeURIComponent(pick.value)}`);
    replace(
      hist,
      entries.length
        ? h('img', {
            src: `/api/drill-history.svg?runbook=${encodeURIComponent(pick.value)}`,
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
  };
  pick.addEventListener('change', () => loadHistory().catch((e) => replace(hist, h('p', { class: 'error' }, e.message))));
  loadSchedules().catch((e) => replace(schedules, h('p', { class: 'error' }, e.message)));
  loadHistory().catch((e) => replace(hist, h('p', { class: 'error' }, e.message)));
}

function enrolPage() {
  const label = h('input', { type: 'text', id: 'passkey-label', maxlength: 100, placeholder: 'e.g. phone', autocomplete: 'off' });
  const out = h('div', { id: 'enrol-out' });
  const go = h('button', { class: 'primary', type: 'button', id: 'create-passkey' }, 'Create a passkey');
  replace(
    main,
    h('h1', {}, 'Passkeys'),
    h(
      'section',
      { class: 'card' },
      h(
        'p',
        {},
        `A passkey lets you sign decisions from this page. It counts only once the roster lists it, and the roster takes it only with a signature of your SSH key (or of a roster admin's): make it here, then run the command shown.`,
      ),
      h(
        'p',
        { class: 'muted' },
        `Passkeys here belong to ${config.rpId}; people listed with passkeys for it: ${
          config.people
            .filter((p) => p.passkeys)
            .map((p) => `${p.id} (${p.passkeys})`)
            .join(', ') || 'none yet'
        }.`,
      ),
      h('label', {}, 'Label', label),
      go,
    ),
    out,
  );
  go.addEventListener('click', async () => {
    try {
      const id = signer();
      const person = config.people.find((p) => p.id === id);
      const credential = await navigator.credentials.create({
        publicKey: {
          rp: { id: config.rpId, name: 'Lifeboat' },
          user: { id: new TextEncoder().encode(id), name: id, displayName: person ? person.name : id },
          challenge: crypto.getRandomValues(new Uint8Array(32)),
          pubKeyCredParams: [
            { type: 'public-key', alg: -7 },
            { type: 'public-key', alg: -8 },
          ],
          authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
          timeout: 120000,
        },
      });
      const alg = credential.response.getPublicKeyAlgorithm();
      const request = {
        credentialId: b64url(credential.rawId),
        publicKey: b64url(credential.response.getPublicKey()),
        algorithm: alg === -7 ? 'ES256' : alg === -8 ? 'Ed25519' : `unsupported (${alg})`,
        rpId: config.rpId,
        ...(label.value.trim() ? { label: label.value.trim() } : {}),
      };
      // The new passkey signs its own id, key and site, so the roster can tell it was held by whoever enrols it.
      const possession = JSON.stringify({ ...request, lifeboat: 'passkey-possession/v1' }, ['algorithm', 'credentialId', 'lifeboat', 'publicKey', 'rpId']);
      request.possession = await signWithPasskey({
        statement: `${possession}\n`,
        digest: `sha256:${hex(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(possession))))}`,
        rpId: config.rpId,
        credentialIds: [request.credentialId],
      });
      const text = JSON.stringify(request, null, 2);
      const file = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
      replace(
        out,
        h(
          'section',
          { class: 'card' },
          h('h2', {}, 'Now sign it with your SSH key'),
          h('p', {}, 'Save this as passkey.json (or download it), then run, with your SSH key:'),
          h('pre', { id: 'enrol-command' }, `npx lifeboat passkey add --as ${id} --request passkey.json --roster ${config.rosterFile || '<the roster file>'}`),
          h(
            'p',
            { class: 'muted' },
            'Without --roster it prints the entry to add under your "passkeys" in the roster. A roster admin enrols for someone without an SSH key with --for <id>.',
          ),
          h('pre', { id: 'passkey-request' }, text),
          h('a', { href: file, download: 'passkey.json' }, 'Download passkey.json'),
        ),
      );
    } catch (err) {
      replace(out, h('p', { class: 'error' }, err.message || String(err)));
    }
  });
}

// ---- boot ------------------------------------------------------------------------------------------------------------

async function boot() {
  try {
    config = await api('config');
  } catch (err) {
    replace(main, h('p', { class: 'error' }, err.message));
    return;
  }
  const saved = localStorage.getItem('lifeboat.whoami') || '';
  replace(
    whoami,
    h('option', { value: '' }, 'choose…'),
    config.people.map((p) => h('option', { value: p.id, selected: p.id === saved }, `${p.id}${p.passkeys ? ' (passkey)' : ''}`)),
  );
  whoami.addEventListener('change', () => localStorage.setItem('lifeboat.whoami', whoami.value));
  const path = location.pathname;
  if (path.startsWith('/run/')) runPage(path.slice('/run/'.length).split('/').map(decodeURIComponent).join('/'));
  else if (path === '/start') startPage();
  else if (path === '/drills') drillsPage();
  else if (path === '/enrol') enrolPage();
  else runsPage();
}

boot();
