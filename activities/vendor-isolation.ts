import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ProviderErrorType } from '../providers/contracts/errors';
import type { Host, HostSelector } from '../providers/http/fleet';
import { activityRequestId, heartbeat } from '../providers/shared/activity-context';
import type { TargetsAccess } from './targets';

/** The hosts a run covers: the fleet API's selector, plus every tag (the API filters on one). */
export interface IsolationScope {
  /** A filter on the fleet API's region names, never checked against a list of our own. */
  region?: string;
  role?: 'kiosk' | 'gate' | 'booking';
  tags: string[];
  /** An isolated drill's scratch fleet: the scope then selects its copies of the hosts, never production's. */
  fleet?: string;
}

/**
 * A wave as a range of positions in the scope's listing (the fleet API's stable order). Waves are cut by position,
 * not by host id, so a wave's activity lists its own hosts and 10,000 ids never pass through workflow history.
 */
export interface WaveRange {
  name: string;
  from: number;
  to: number;
  /** Hosts in the range that needed a fix at assessment. */
  hosts: number;
}

/** What the run saw before touching anything. */
export interface BlastRadius {
  scopeHosts: number;
  /** Down, or carrying the bad version: the hosts the waves fix. */
  affected: number;
  carryingBadVersion: number;
  /** Affected hosts not healthy at assessment; the recovery milestones count these. */
  down: number;
  byHealth: { healthy: number; crashed: number; unreachable: number };
  /** Affected hosts that cannot be fixed remotely while crashed. */
  handsOnOnly: number;
  waves: WaveRange[];
}

export interface WaveSizing {
  canary: number;
  /** A host count, or a share of the affected hosts such as "25%"; the last one repeats. */
  sizes: (number | string)[];
}

/** One wave's outcome, checked against the fleet after the wave (not counted from the actions). */
export interface WaveOutcome {
  batches: number;
  /** Set when the activity resumed from a heartbeat after a worker died. */
  resumedAtPosition?: number;
  /** [time in ms, down hosts back to healthy] per batch. */
  recoveries: [number, number][];
  stillBroken: number;
  handsOn: { host: string; reason: string }[];
  failed: { host: string; reason: string }[];
}

/** Heartbeat details of `repairWave`, so a retry on another worker resumes where the last one stopped. */
interface WaveProgress {
  nextPosition: number;
  batches: number;
  recoveries: [number, number][];
}

const PAGE = 1000;

function selectorOf(scope: IsolationScope): HostSelector {
  return {
    ...(scope.region ? { region: scope.region } : {}),
    ...(scope.role ? { role: scope.role } : {}),
    ...(scope.tags[0] ? { tag: scope.tags[0] } : {}),
    ...(scope.fleet ? { fleet: scope.fleet } : {}),
  };
}

function inScope(host: Host, scope: IsolationScope): boolean {
  return scope.tags.every((t) => host.tags.includes(t));
}

/** Whether a host still needs the fix: down, or still carrying the bad version. */
export function needsFix(host: Host, badVersion: string): boolean {
  return host.health !== 'healthy' || host.agent.contentVersion === badVersion;
}

function whyBroken(host: Host): string {
  if (host.health === 'crashed' && host.handsOnOnly) return 'boot loop and no remote console (BitLocker): needs hands-on repair';
  if (host.health === 'unreachable') return 'unreachable from the console';
  if (host.health === 'crashed') return 'crashed again after the remote fix';
  return `healthy but still on ${host.agent.contentVersion}`;
}

/** A request id per action of this activity (stable across its retries), so the console answers a repeat instead of acting twice. */
function requestIdFor(suffix: string): string | undefined {
  const base = activityRequestId();
  return base ? `${base}:${suffix}` : undefined;
}

/** Sizes of the waves after the canary, for `affected` hosts: counts or shares, the last repeating. */
export function waveSizes(sizing: WaveSizing, affected: number): number[] {
  const sizes: number[] = [];
  let left = affected;
  const canary = Math.min(sizing.canary, left);
  if (canary > 0) sizes.push(canary);
  left -= canary;
  for (let i = 0; left > 0; i++) {
    const spec = sizing.sizes[Math.min(i, sizing.sizes.length - 1)]!;
    const n = typeof spec === 'number' ? spec : Math.ceil((Number(spec.slice(0, -1)) / 100) * affected);
    const size = Math.min(Math.max(1, n), left);
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

/** Sleeps in short slices with heartbeats, so a long soak does not look like a dead worker. */
async function soak(ms: number, progress: WaveProgress): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, Math.min(1_000, until - Date.now())));
    heartbeat(progress);
  }
}

/**
 * The activities of `isolate-vendor-module`: whole-scope passes over the fleet API, batched and paged, so they
 * work the same on 36 hosts and on 10,000. Every mutation carries a request id; every pass is safe to repeat.
 */
export function createVendorIsolationActivities(access: TargetsAccess) {
  const fleet = () => access.fleet();

  /** Yields the scope's hosts with their position in the listing, from `from` up to `to`. */
  async function* scopeHosts(api: ReturnType<typeof fleet>, scope: IsolationScope, from = 0, to = Infinity, page = PAGE): AsyncGenerator<[number, Host]> {
    for (let offset = from; offset < to; offset += page) {
      const limit = Math.min(page, to - offset);
      const { hosts } = await api.listHosts({ ...selectorOf(scope), offset, limit });
      for (let i = 0; i < hosts.length; i++) if (inScope(hosts[i]!, scope)) yield [offset + i, hosts[i]!];
      if (hosts.length < limit) return;
    }
  }

  return {
    /** Counts the damage and cuts the waves: the canary, then the sizes of the plan, over the affected hosts in listing order. */
    async assessBlastRadius(args: { scope: IsolationScope; badVersion: string; sizing: WaveSizing }): Promise<BlastRadius> {
      const api = fleet();
      const byHealth = { healthy: 0, crashed: 0, unreachable: 0 };
      const affectedAt: number[] = [];
      let scopeCount = 0;
      let listed = 0;
      let carrying = 0;
      let handsOnOnly = 0;
      for await (const [position, host] of scopeHosts(api, args.scope)) {
        scopeCount++;
        listed = position + 1;
        if (!needsFix(host, args.badVersion)) continue;
        affectedAt.push(position);
        byHealth[host.health]++;
        if (host.agent.contentVersion === args.badVersion) carrying++;
        if (host.handsOnOnly && host.health === 'crashed') handsOnOnly++;
      }
      const waves: WaveRange[] = [];
      let consumed = 0;
      for (const [i, size] of waveSizes(args.sizing, affectedAt.length).entries()) {
        const from = waves.at(-1)?.to ?? 0;
        consumed += size;
        const last = consumed === affectedAt.length;
        waves.push({ name: i === 0 ? 'canary' : `wave-${i}`, from, to: last ? Math.max(listed, from) : affectedAt[consumed - 1]! + 1, hosts: size });
        heartbeat();
      }
      return {
        scopeHosts: scopeCount,
        affected: affectedAt.length,
        carryingBadVersion: carrying,
        down: byHealth.crashed + byHealth.unreachable,
        byHealth,
        handsOnOnly,
        waves,
      };
    },

    /** Pins every host in scope to the last-known-good version (which blocks every other push), then checks that each one is. */
    async pinUpdateChannel(args: { scope: IsolationScope; version: string }): Promise<{ hosts: number; changed: number }> {
      const api = fleet();
      let changed = 0;
      if (args.scope.tags.length <= 1) {
        const r = await api.setUpdateChannel({ scope: selectorOf(args.scope), state: 'pinned', version: args.version, ...opt(requestIdFor('pin')) });
        changed = r.counts.applied;
      } else {
        let ids: string[] = [];
        let chunk = 0;
        const flush = async () => {
          const r = await api.setUpdateChannel({ scope: { ids }, state: 'pinned', version: args.version, ...opt(requestIdFor(`pin:${chunk++}`)) });
          changed += r.counts.applied;
          ids = [];
        };
        for await (const [, host] of scopeHosts(api, args.scope)) {
          ids.push(host.id);
          if (ids.length >= PAGE) await flush();
        }
        if (ids.length > 0) await flush();
      }
      let hosts = 0;
      const open: string[] = [];
      for await (const [, host] of scopeHosts(api, args.scope)) {
        hosts++;
        if (host.agent.channel !== 'pinned' || host.agent.pinnedVersion !== args.version) open.push(host.id);
      }
      if (open.length > 0) throw new Error(`${open.length} host(s) in scope are not pinned to ${args.version} after pinning: ${open.slice(0, 10).join(', ')}`);
      return { hosts, changed };
    },

    /**
     * Fixes one wave in batches of `concurrency` hosts: quarantine the module, roll back, reboot. Heartbeats after each
     * batch and resumes from the last heartbeat after a retry; hosts already fixed no longer need it and are left alone.
     * Then checks every host of the wave against the fleet.
     */
    async repairWave(args: {
      scope: IsolationScope;
      badVersion: string;
      goodVersion: string;
      wave: WaveRange;
      concurrency: number;
      soakMs: number;
    }): Promise<WaveOutcome> {
      const api = fleet();
      const { wave } = args;
      const resumed = currentHeartbeat();
      const progress: WaveProgress = resumed ?? { nextPosition: wave.from, batches: 0, recoveries: [] };
      for (let position = progress.nextPosition; position < wave.to; position += args.concurrency) {
        const batch: Host[] = [];
        for await (const [, host] of scopeHosts(api, args.scope, position, Math.min(position + args.concurrency, wave.to), args.concurrency)) batch.push(host);
        const targets = batch.filter((h) => needsFix(h, args.badVersion));
        if (targets.length > 0) {
          const hostIds = targets.map((h) => h.id);
          const wasDown = new Set(targets.filter((h) => h.health !== 'healthy').map((h) => h.id));
          await api.quarantineModule({ hostIds, ...opt(requestIdFor(`${position}:quarantine`)) });
          await api.rollbackHost({ hostIds, version: args.goodVersion, ...opt(requestIdFor(`${position}:rollback`)) });
          const rebooted = await api.rebootHost({ hostIds, ...opt(requestIdFor(`${position}:reboot`)) });
          const back = rebooted.results.filter((r) => wasDown.has(r.hostId) && r.health === 'healthy').length;
          if (back > 0) progress.recoveries.push([Date.now(), back]);
        }
        progress.nextPosition = position + args.concurrency;
        progress.batches++;
        heartbeat(progress);
        if (args.soakMs > 0 && progress.nextPosition < wave.to) await soak(args.soakMs, progress);
      }
      const handsOn: WaveOutcome['handsOn'] = [];
      const failed: WaveOutcome['failed'] = [];
      for await (const [, host] of scopeHosts(api, args.scope, wave.from, wave.to)) {
        if (!needsFix(host, args.badVersion)) continue;
        (host.handsOnOnly && host.health === 'crashed' ? handsOn : failed).push({ host: host.id, reason: whyBroken(host) });
      }
      return {
        batches: progress.batches,
        ...(resumed ? { resumedAtPosition: resumed.nextPosition } : {}),
        recoveries: progress.recoveries,
        stillBroken: handsOn.length + failed.length,
        handsOn,
        failed,
      };
    },

    /**
     * Isolated drills: the vendor's faulty push, reproduced on a scratch fleet only. Refuses without a scratch fleet's
     * id, so a drill can never push to production; answers counts, not a result per host.
     */
    async reproduceFaultyUpdate(args: { fleet: string; version: string; crashRate: number }): Promise<{ hosts: number; crashed: number }> {
      if (!args.fleet)
        throw ApplicationFailure.nonRetryable(
          'a drill reproduces the faulty update on a scratch fleet only; no scratch fleet was named',
          ProviderErrorType.Precondition,
        );
      const r = await fleet().pushContentUpdate({
        version: args.version,
        faulty: true,
        crashRate: args.crashRate,
        scope: { fleet: args.fleet },
        ...opt(requestIdFor('push')),
      });
      return { hosts: r.results.length, crashed: r.results.filter((x) => x.health === 'crashed').length };
    },

    /** The final check: every host in scope healthy (or waived) and pinned to the good version. Refuses with the hosts that are not. */
    async verifyScope(args: {
      scope: IsolationScope;
      badVersion: string;
      goodVersion: string;
      waived: string[];
    }): Promise<{ hosts: number; healthy: number; waivedBroken: number }> {
      const api = fleet();
      const waived = new Set(args.waived);
      let hosts = 0;
      let healthy = 0;
      let waivedBroken = 0;
      const broken: string[] = [];
      const unpinned: string[] = [];
      for await (const [, host] of scopeHosts(api, args.scope)) {
        hosts++;
        if (host.agent.channel !== 'pinned' || host.agent.pinnedVersion !== args.goodVersion) unpinned.push(host.id);
        if (!needsFix(host, args.badVersion)) healthy++;
        else if (waived.has(host.id)) waivedBroken++;
        else broken.push(`${host.id} (${whyBroken(host)})`);
      }
      const problems = [
        broken.length ? `${broken.length} host(s) neither healthy nor waived: ${broken.slice(0, 10).join(', ')}${broken.length > 10 ? ', ...' : ''}` : '',
        unpinned.length ? `${unpinned.length} host(s) not pinned to ${args.goodVersion}: ${unpinned.slice(0, 10).join(', ')}` : '',
      ].filter(Boolean);
      if (problems.length > 0) {
        throw ApplicationFailure.nonRetryable(
          `${problems.join('; ')}. Mark hands-on hosts done or waive them (lifeboat task), then retry`,
          ProviderErrorType.Precondition,
        );
      }
      return { hosts, healthy, waivedBroken };
    },
  };
}

function opt(requestId: string | undefined): { requestId?: string } {
  return requestId ? { requestId } : {};
}

function currentHeartbeat(): WaveProgress | undefined {
  try {
    return Context.current().info.heartbeatDetails as WaveProgress | undefined;
  } catch {
    return undefined;
  }
}

export type VendorIsolationActivities = ReturnType<typeof createVendorIsolationActivities>;
