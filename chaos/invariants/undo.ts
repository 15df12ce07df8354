import { fixedTargetsAccess } from '../../activities/targets';
import { estateStatus } from '../../dev/estate/status';
import type { EstateCatalog, RegionName } from '../../estate/catalog';
import type { RunStatus } from '../../kit';
import { sampleTargets } from '../../providers/sample-estate/targets';
import { need } from '../../providers/registry';
import type { Violation } from '../world-types';

const REGIONS = ['A', 'B'] as const;

/** One region of one service as an abort must leave it: what the undos of drain, fence and the mode switch restore. */
export interface RegionUndoState {
  /** `null` for a service that keeps no data (no database). */
  role: 'primary' | 'standby' | 'down' | null;
  fenced: boolean | null;
  /** The service's own mode (`normal`, `read-only`, `manual`); `null` when it did not answer. */
  mode: string | null;
  /** The traffic provider's serving state for the region (`ready`, `drain`, `maint`); `null` when it did not answer. */
  serving: string | null;
}

export interface ServiceUndoState {
  /** Where the traffic provider sends clients. */
  active: string | null;
  regions: Record<RegionName, RegionUndoState>;
}

/** The fleet as an isolated drill must leave it: no scratch copy of its own left behind. */
export interface FleetUndoState {
  /** Update channels of production hosts, by state: recorded for the evidence; containment is kept on abort by design. */
  channels: Record<string, number>;
  scratchFleets: string[];
}

/** What an abort must restore, read from the estate before a run (and again after it, to compare). */
export interface UndoSnapshot {
  services: Record<string, ServiceUndoState>;
  fleet: FleetUndoState | null;
}

/**
 * Reads what an abort must restore, for the services a run may touch: where each one's traffic goes, and for each
 * region its database's role and fencing, the service's mode and whether the traffic provider drains it (the same
 * facts `before` records for the drain, fence and mode-switch steps); and the fleet's scratch copies. Read-only.
 */
export async function snapshotForUndo(catalog: EstateCatalog, services: readonly string[]): Promise<UndoSnapshot> {
  const [estate, fleet] = await Promise.all([estateStatus(catalog), fleetUndoState(catalog)]);
  const access = fixedTargetsAccess(sampleTargets(catalog));
  const out: UndoSnapshot = { services: {}, fleet };
  for (const name of services) {
    const s = estate.services.find((x) => x.service === name);
    if (!s) continue;
    const region = async (r: RegionName): Promise<RegionUndoState> => {
      const node = s.replication?.nodes[r];
      const serving = await need(access.service(name), 'traffic')
        .serving(r)
        .then((x) => x.state as string)
        .catch(() => null);
      return {
        role: !s.replication ? null : !node?.reachable ? 'down' : node.inRecovery ? 'standby' : 'primary',
        fenced: node?.fenced ?? null,
        mode: s.regions[r].mode ?? null,
        serving,
      };
    };
    const [A, B] = await Promise.all(REGIONS.map(region));
    out.services[name] = { active: s.active, regions: { A: A!, B: B! } };
  }
  return out;
}

async function fleetUndoState(catalog: EstateCatalog): Promise<FleetUndoState | null> {
  try {
    const get = async (path: string) => {
      const res = await fetch(new URL(path, catalog.fleet.url), { signal: AbortSignal.timeout(5_000) });
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
      return res.json() as Promise<unknown>;
    };
    const [summary, scratch] = (await Promise.all([get('/summary'), get('/scratch-fleets')])) as [
      { channels: Record<string, number> },
      { fleets: { id: string }[] },
    ];
    return { channels: summary.channels, scratchFleets: scratch.fleets.map((f) => f.id).sort() };
  } catch {
    return null;
  }
}

/**
 * Checks an aborted run against what it promised to put back. Before the point of no return (no
 * `status.pointOfNoReturn`) the undos must have restored the source: its traffic, and the source region's database
 * role, fencing, mode and serving state as `before` read them (an isolated drill must leave production whole, and
 * remove its scratch copies). After it, nothing is undone, and the status must say the way back is the failback
 * runbook it names. Runs that did not end aborted promise nothing here.
 *
 * For a plan, pass each aborted member's own status: the members that finished before the abort stay where they are,
 * and a member's status names the services it acts on.
 */
export function checkUndo(before: UndoSnapshot, after: UndoSnapshot, status: RunStatus): Violation[] {
  if (status.state !== 'aborted') return [];
  const beyond = status.pointOfNoReturn;
  if (beyond) return checkPastReturn(status, beyond);
  const violations: Violation[] = [];
  const failed = status.compensation.filter((c) => c.status === 'failed');
  if (failed.length > 0) {
    violations.push({
      invariant: 'undo before the point of no return',
      evidence: `${status.runId}: ${failed.map((c) => `undo of ${c.step} failed (${c.error ?? 'no error recorded'})`).join('; ')}`,
    });
  }
  for (const difference of differences(before, after, status)) {
    violations.push({ invariant: 'undo before the point of no return', evidence: `${status.runId} aborted before the point of no return, yet ${difference}` });
  }
  return violations;
}

function checkPastReturn(status: RunStatus, beyond: NonNullable<RunStatus['pointOfNoReturn']>): Violation[] {
  const problems: string[] = [];
  if (!beyond.undoInstead.trim()) problems.push(`the point of no return (${beyond.step}) names no way back`);
  else if (!(status.outcome ?? '').includes(beyond.undoInstead)) {
    problems.push(`the outcome does not name the way back (${beyond.undoInstead}): "${(status.outcome ?? '').slice(0, 300)}"`);
  }
  // The kit drops the undos at the point of no return, and the outcome says nothing was undone: an undo that ran contradicts it.
  if (status.compensation.length > 0) problems.push(`undos ran after the point of no return: ${status.compensation.map((c) => c.step).join(', ')}`);
  return problems.map((p) => ({ invariant: 'undo after the point of no return', evidence: `${status.runId} aborted past ${beyond.step}: ${p}` }));
}

/** What differs between the snapshots, in what the run's undos cover; each difference in words, with both values. */
function differences(before: UndoSnapshot, after: UndoSnapshot, status: RunStatus): string[] {
  const found: string[] = [];
  const isolated = status.drill?.kind === 'isolated';
  const source = isolated ? undefined : sourceRegionOf(status);
  for (const service of servicesOf(status, before)) {
    const was = before.services[service];
    const now = after.services[service];
    if (!was || !now) continue;
    if (was.active !== now.active) found.push(`${service}'s traffic goes to ${now.active ?? 'nowhere'}, not ${was.active ?? 'nowhere'} as before`);
    for (const r of source ? [source] : REGIONS) {
      for (const field of ['role', 'fenced', 'mode', 'serving'] as const) {
        if (was.regions[r][field] !== now.regions[r][field]) {
          found.push(`${service} region ${r} ${field} is ${String(now.regions[r][field])}, was ${String(was.regions[r][field])}`);
        }
      }
    }
  }
  const left = (after.fleet?.scratchFleets ?? []).filter((id) => !(before.fleet?.scratchFleets ?? []).includes(id));
  if (left.length > 0) found.push(`scratch fleet(s) ${left.join(', ')} were left behind`);
  return found;
}

/**
 * The region the run switches away from or acts on, as its status reports it: a switch's `regions.source`, manual
 * booking's `region` ("A (in use)"). Undefined when the run never got that far, and then every region is compared.
 */
export function sourceRegionOf(status: RunStatus): RegionName | undefined {
  const regions = status.details.regions as { source?: unknown } | undefined;
  if (regions?.source === 'A' || regions?.source === 'B') return regions.source;
  const region = status.details.region;
  if (typeof region === 'string' && /^[AB]\b/.test(region)) return region[0] as RegionName;
  return undefined;
}

/** The services the run acts on: a switch's failover group, else the run's target where it names a service, else all. */
function servicesOf(status: RunStatus, snapshot: UndoSnapshot): string[] {
  const group = (status.details.regions as { group?: unknown } | undefined)?.group;
  if (Array.isArray(group) && group.every((g) => typeof g === 'string')) return group as string[];
  if (snapshot.services[status.target]) return [status.target];
  return Object.keys(snapshot.services);
}
