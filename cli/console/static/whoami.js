// @ts-check
// "Signing as", at the top of every page: who the person says they are, remembered in this browser. It chooses which
// passkeys may sign; the run still checks each signature against the roster.

import { byId, h, replace } from './dom.js';

/** @import { ConsoleConfig } from './api.js' */

const remembered = 'lifeboat.whoami';

/** The "Signing as" picker in the page's header. */
export function whoami() {
  return byId('whoami', HTMLSelectElement);
}

/**
 * Offers the roster's people, choosing the one this browser chose last.
 * @param {ConsoleConfig['people']} people
 */
export function offerPeople(people) {
  const picker = whoami();
  const saved = localStorage.getItem(remembered) || '';
  replace(
    picker,
    h('option', { value: '' }, 'choose…'),
    people.map((p) => h('option', { value: p.id, selected: p.id === saved }, `${p.id}${p.passkeys ? ' (passkey)' : ''}`)),
  );
  picker.addEventListener('change', () => localStorage.setItem(remembered, picker.value));
}

/** Who signs: the person chosen at the top, or an error saying to choose. */
export function signer() {
  const id = whoami().value;
  if (!id) throw new Error('choose who you are ("Signing as", at the top) first');
  return id;
}
