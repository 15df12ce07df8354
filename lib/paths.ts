import { resolve } from 'node:path';

/** The checkout's root; everything below is relative to it. */
export const repoRoot = resolve(__dirname, '..');

/** Git-ignored folder for the dev server's database, pids and estate state. */
export const stateDir = process.env.LIFEBOAT_STATE_DIR ?? resolve(repoRoot, '.state');

/** Git-ignored folder the setup installs the Temporal binaries into. */
export const toolsDir = resolve(repoRoot, '.tools');

export const sampleRosterPath = resolve(repoRoot, 'roster.sample.json');

/** The demo's alert rules, which `lifeboat dev` serves unless LIFEBOAT_ALERT_RULES names others. */
export const sampleAlertRulesPath = resolve(repoRoot, 'alert-rules.sample.json');
