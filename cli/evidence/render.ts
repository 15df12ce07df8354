import type { BundleAddress } from '../../lib/evidence/layout';
import type { ArchiveVerification } from '../../lib/evidence/verify-archive';
import { table } from '../render';

/** The bundles `lifeboat evidence list` found, one line each, in chain order. */
export function renderBundleList(location: string, bundles: readonly BundleAddress[]): string {
  if (bundles.length === 0) return `no bundles in ${location} match`;
  const rows = bundles.map((b) => [b.finishedAt, b.runbook, b.target, b.runId, b.key]);
  const header = ['FINISHED', 'RUNBOOK', 'TARGET', 'RUN', 'KEY'];
  return [`archive: ${location}`, table([header, ...rows])].join('\n');
}

/** What `lifeboat evidence verify` checked and, when something does not verify, each finding by name. */
export function renderVerification(result: ArchiveVerification): string {
  const lines = [`archive: ${result.location}`, `checked: ${result.bundles.length} bundle(s) in ${result.chains} chain(s)`];
  lines.push(
    result.rostersAnchored
      ? 'rosters: each checked against the trust root (sealed by its roster admins)'
      : "rosters: NOT checked against a trust root (give --trust-root or LIFEBOAT_TRUST_ROOT): each bundle's roster vouches for itself",
  );
  if (result.decisionsRechecked) lines.push("decisions: each signed decision checked again from its bundle's archived history and roster (no Temporal server)");
  for (const bundle of result.bundles) lines.push(`  ${bundle.ok ? 'ok       ' : 'NOT OK   '}${bundle.key}`);
  if (result.ok) lines.push('result:  every file, seal and chain link verifies');
  else {
    lines.push(`result:  ${result.findings.length} thing(s) do not verify:`);
    for (const finding of result.findings) lines.push(`  - [${finding.check}] ${finding.message}`);
  }
  return lines.join('\n');
}
