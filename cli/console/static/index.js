// @ts-check
// The entry of the console's page (index.html): reads the console's config, offers "Signing as", and draws the page
// the address names. Every module it loads is the console's own, from /static/, as the page's CSP (script-src 'self')
// requires: no framework, no build step, nothing from elsewhere runs on a page that signs.

import * as api from './api.js';
import { byId, h, replace } from './dom.js';
import { drillsPage } from './drills-page.js';
import { enrolPage } from './enrol-page.js';
import { messageOf } from './format.js';
import { runPage } from './run-page.js';
import { runsPage } from './runs-page.js';
import { startPage } from './start-page.js';
import { offerPeople } from './whoami.js';

/** @import { ConsoleConfig } from './api.js' */

async function boot() {
  const main = byId('main', HTMLElement);
  /** @type {ConsoleConfig} */
  let config;
  try {
    config = await api.config();
  } catch (err) {
    replace(main, h('p', { class: 'error' }, messageOf(err)));
    return;
  }
  offerPeople(config.people);
  const path = location.pathname;
  if (path.startsWith('/run/')) runPage(main, path.slice('/run/'.length).split('/').map(decodeURIComponent).join('/'));
  else if (path === '/start') startPage(main, config);
  else if (path === '/drills') drillsPage(main, config);
  else if (path === '/enrol') enrolPage(main, config);
  else runsPage(main, config);
}

void boot();
