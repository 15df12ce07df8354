// @ts-check
// Passkeys (/enrol): making a passkey here, for the roster to take once its owner's SSH key (or a roster admin's)
// vouches for it with `lifeboat passkey add`. The console never writes the roster.

import { h, replace } from './dom.js';
import { messageOf } from './format.js';
import { createPasskey, digestOf, signWithPasskey } from './passkey.js';
import { signer } from './whoami.js';

/** @import { ConsoleConfig } from './api.js' */

/**
 * What `lifeboat passkey add --request` reads: the new passkey, its site, and its signature over itself.
 * @typedef {object} PasskeyRequest
 * @property {string} credentialId
 * @property {string} publicKey
 * @property {string} algorithm
 * @property {string} rpId
 * @property {string} [label]
 * @property {string} [possession]
 */

/**
 * @param {HTMLElement} main
 * @param {ConsoleConfig} config
 */
export function enrolPage(main, config) {
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
  const enrol = async () => {
    try {
      const id = signer();
      const person = config.people.find((p) => p.id === id);
      const made = await createPasskey({ rpId: config.rpId, userId: id, displayName: person ? person.name : id });
      /** @type {PasskeyRequest} */
      const request = { ...made, rpId: config.rpId, ...(label.value.trim() ? { label: label.value.trim() } : {}) };
      // The new passkey signs its own id, key and site, so the roster can tell it was held by whoever enrols it.
      const possession = JSON.stringify({ ...request, lifeboat: 'passkey-possession/v1' }, ['algorithm', 'credentialId', 'lifeboat', 'publicKey', 'rpId']);
      request.possession = await signWithPasskey({
        statement: `${possession}\n`,
        digest: await digestOf(possession),
        rpId: config.rpId,
        credentialIds: [request.credentialId],
      });
      showRequest(out, id, request, config.rosterFile);
    } catch (err) {
      replace(out, h('p', { class: 'error' }, messageOf(err)));
    }
  };
  go.addEventListener('click', () => void enrol());
}

/**
 * The request to save, and the command that vouches for it with the person's SSH key.
 * @param {HTMLElement} out
 * @param {string} id
 * @param {PasskeyRequest} request
 * @param {string | null | undefined} rosterFile
 */
function showRequest(out, id, request, rosterFile) {
  const text = JSON.stringify(request, null, 2);
  const file = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  replace(
    out,
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'Now sign it with your SSH key'),
      h('p', {}, 'Save this as passkey.json (or download it), then run, with your SSH key:'),
      h('pre', { id: 'enrol-command' }, `npx lifeboat passkey add --as ${id} --request passkey.json --roster ${rosterFile || '<the roster file>'}`),
      h(
        'p',
        { class: 'muted' },
        'Without --roster it prints the entry to add under your "passkeys" in the roster. A roster admin enrols for someone without an SSH key with --for <id>.',
      ),
      h('pre', { id: 'passkey-request' }, text),
      h('a', { href: file, download: 'passkey.json' }, 'Download passkey.json'),
    ),
  );
}
