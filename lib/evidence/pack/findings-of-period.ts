import type { AuditFinding, FindingsSnapshot } from '../../findings/record';
import type { ReadBundle } from './bundle-files';
import type { PackFinding, PackFindings } from './types';

/**
 * The audit findings of the period, from the findings bundles the archive holds: for each runbook and target the
 * newest snapshot in the period, which lists every finding, open and closed. A finding shows as opened when it was
 * opened in the period, as closed (with its proof) when it was closed in it, and as still open when the snapshot
 * has it open; one finding can be both opened and closed. An archive with no findings bundles gives empty lists.
 */
export function findingsOfPeriod(bundles: readonly ReadBundle[], period: { since: string; until: string }): PackFindings {
  const newest = new Map<string, { snapshot: FindingsSnapshot; key: string }>();
  for (const bundle of bundles) {
    const snapshot = bundle.findings;
    if (!snapshot) continue;
    const group = `${snapshot.runbook}\u0000${snapshot.target}`;
    const held = newest.get(group);
    if (!held || compare(held.snapshot.at, snapshot.at) < 0 || (held.snapshot.at === snapshot.at && compare(held.key, bundle.key) < 0))
      newest.set(group, { snapshot, key: bundle.key });
  }
  const within = (iso: string) => Date.parse(iso) >= Date.parse(period.since) && Date.parse(iso) <= Date.parse(period.until);
  const all = [...newest.values()].flatMap(({ snapshot }) => snapshot.findings).sort(byRunbookTargetId);
  const shown = (f: AuditFinding): PackFinding => ({ ...f, overdue: f.state === 'open' && Date.parse(f.deadline) < Date.parse(period.until) });
  return {
    snapshots: newest.size,
    opened: all.filter((f) => within(f.openedAt)).map(shown),
    closed: all.filter((f) => f.state === 'closed' && f.closed !== undefined && within(f.closed.at)).map(shown),
    stillOpen: all.filter((f) => f.state === 'open').map(shown),
  };
}

function byRunbookTargetId(a: AuditFinding, b: AuditFinding): number {
  return compare(a.runbook, b.runbook) || compare(a.target, b.target) || Number(a.id.slice(2)) - Number(b.id.slice(2)) || compare(a.id, b.id);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
