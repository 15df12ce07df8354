import { count, esc, table } from './html-text';
import type { PackIntegrity } from './types';

/** How many failures the first page lists before pointing at the full list. */
const FIRST_PAGE_FAILURES = 10;

/** The integrity verdict the first page opens with: every seal and chain checked, and what does not verify. */
export function integrityVerdict(integrity: PackIntegrity): string {
  const checked = `${count(integrity.bundles, 'bundle')} in ${count(integrity.chains, 'chain')}`;
  const rosters = integrity.rostersAnchored
    ? 'Each bundle\u2019s roster was checked against the workers\u2019 trust root.'
    : 'Rosters were NOT checked against a trust root (give --trust-root): each bundle\u2019s roster vouches for itself.';
  const decisions = integrity.decisionsRechecked
    ? 'The check included every signed decision, verified again from the archived histories.'
    : 'Signed decisions were NOT checked again from the archived histories.';
  if (integrity.ok)
    return `<div class="verdict ok"><h2>Integrity: VERIFIED</h2><p>Every file, seal and hash-chain link of the archive verifies: ${esc(checked)}. ${esc(decisions)} ${esc(rosters)}</p></div>`;
  const shown = integrity.failures.slice(0, FIRST_PAGE_FAILURES);
  const more = integrity.failures.length - shown.length;
  return [
    `<div class="verdict fail"><h2>Integrity: NOT VERIFIED</h2><p>${esc(count(integrity.failures.length, 'thing'))} in the archive (${esc(checked)}) do not verify. Treat the archive as tampered with until each is explained. ${esc(decisions)} ${esc(rosters)}</p>`,
    `<ul>${shown.map((f) => `<li>[${esc(f.check)}] ${esc(f.message)}</li>`).join('')}</ul>`,
    more > 0 ? `<p>and ${esc(count(more, 'more'))}: see section 5.</p>` : '',
    '</div>',
  ].join('\n');
}

/** Section 5: how the archive was checked, and every finding of the check. */
export function integrityHtml(integrity: PackIntegrity): string {
  return [
    '<section class="page" id="integrity">',
    '<h2>5. Integrity</h2>',
    '<p>Each bundle\u2019s manifest lists the SHA-256 of every file it holds and is sealed (signed) by the workers\u2019 archive signer, a roster person in no group who may sign and never approve. Each manifest names the digest of the bundle before it for the same runbook and target, so the bundles form hash chains, and a deleted or replaced bundle breaks the link after it. The re-check of decisions verifies every signed decision of each archived history again, against the roster the bundle holds, as <span class="mono">lifeboat verify</span> does: a history edited and re-sealed is named by its decision. Anyone can repeat this check with <span class="mono">lifeboat evidence verify --all</span>, without Temporal.</p>',
    table(
      ['Bundle', 'Check', 'What does not verify'],
      integrity.failures.map((f) => [`<span class="mono">${esc(f.key)}</span>`, esc(f.check), esc(f.message)]),
      'nothing: every file, seal and chain link verifies',
    ),
    '</section>',
  ].join('\n');
}
