import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { NodeStatus } from '../providers/contracts/database';
import type { LoadLoss } from '../providers/contracts/isolated-drills';
import { ProviderErrorType } from '../providers/contracts/errors';
import type { RegionName } from '../providers/contracts/provider';
import type { EndpointHealth } from '../providers/contracts/traffic';
import type { BookingHealth } from '../providers/http/booking-service';
import { bookingApiOf, lostWritesCounter, need, type ServiceProviders } from '../providers/registry';
import { heartbeat } from '../providers/shared/activity-context';
import { knownRegion, type TargetsAccess } from './targets';
import { eachMember, namingMember, type OnService } from './traffic';

export type { LoadLoss };

/** The two regions of a switch, resolved from the catalog and the load balancer. */
export interface SwitchRegions {
  service: string;
  source: RegionName;
  target: RegionName;
  /** The region the load balancer sent clients to when the run looked. */
  activeBefore: RegionName | null;
  /** Every service the switch moves: the service and those sharing its database cluster, sorted; `[service]` when alone. */
  group: string[];
  /** The service keeps no data (`stateless` in the targets file): a switch moves its traffic and modes only. */
  stateless: boolean;
}

/** What the preflight saw in the target region; returned only when every check passed. */
export interface TargetPreflight {
  region: RegionName;
  /** The named service's database (a failover group shares it); absent for a service that keeps no data. */
  database?: NodeStatus;
  service: BookingHealth;
  loadBalancer: EndpointHealth;
  /** The service keeps no data: the preflight checked no database. */
  stateless?: true;
  /** For a service in a failover group: what it saw of each member, the named service first. */
  members?: { service: string; health: BookingHealth; loadBalancer: EndpointHealth }[];
}

/** Whether a region's database was fenced, as the fence step's undo needs it; `reachable: false` when it did not answer. */
export type FencingState = { region: RegionName; reachable: true; fenced: boolean } | { region: RegionName; reachable: false; error: string };

/** A region's server at the load balancer as an operator set it (`set server ... state`), whatever its health checks say. */
export interface ServerState {
  region: RegionName;
  state: 'ready' | 'drain' | 'maint';
  /** HAProxy's status column, for the audit trail: `UP`, `DOWN`, `DRAIN`, `MAINT`, ... */
  status: string;
}

/**
 * Whether clients reach a region once a switch points the traffic provider at it: the provider's health checks pass
 * for its endpoint and no operator put it in maintenance. A drained endpoint that passes its checks reaches (a switch
 * readies the target, and a failback's own failover drained it); the reason says so. Readiness and the switch's
 * preflight both ask this, so the two never disagree.
 */
export interface TargetReach {
  region: RegionName;
  reaches: boolean;
  endpoint: EndpointHealth;
  serving: ServerState['state'];
  /** For the readiness table and the preflight's refusal: what the provider sees, in words. */
  reason: string;
  /**
   * For a service in a failover group: each member's reach, the named service first. `reaches` is then true only
   * when every member reaches, and `reason` adds each member that does not, prefixed with its name.
   */
  members?: (TargetReach & { service: string })[];
}

/** Judges a region's endpoint and serving state (see `TargetReach`). Pure, so both callers judge alike. */
export function judgeReach(region: RegionName, endpoint: EndpointHealth | undefined, serving: { state: ServerState['state']; status: string }): TargetReach {
  const seen = endpoint ?? { region, endpoint: '?', healthy: false, status: 'unknown' };
  const sees = `the traffic provider sees ${seen.endpoint} (region ${region}) as ${seen.status}${seen.checkDetail ? ` (${seen.checkDetail})` : ''}`;
  const judged = (reaches: boolean, reason: string): TargetReach => ({ region, reaches, endpoint: seen, serving: serving.state, reason });
  if (!endpoint) return judged(false, `the traffic provider reports nothing for region ${region}`);
  if (serving.state === 'maint') return judged(false, `${sees}: an operator put it in maintenance (${serving.status})`);
  if (!endpoint.healthy) return judged(false, `${sees}: its health checks fail`);
  if (serving.state === 'drain') return judged(true, `${sees}: it passes its health checks and is drained, which the switch undoes`);
  return judged(true, `${sees}: it passes its health checks and is in rotation`);
}

/** Whether clients reach `region` of one service through its own traffic provider. */
async function reachOf(providers: ServiceProviders, region: RegionName): Promise<TargetReach> {
  const traffic = need(providers, 'traffic');
  const [endpoints, serving] = await Promise.all([traffic.health(), traffic.serving(region)]);
  return judgeReach(
    region,
    endpoints.find((r) => r.region === region),
    serving,
  );
}

/**
 * A group's reach from its members' (the named service first): the named service's fields, reaching only when every
 * member does. A service on its own gets its reach unchanged, with no `members`.
 */
export function groupReach(members: (TargetReach & { service: string })[]): TargetReach {
  const [named, ...others] = members;
  const { service: _service, ...own } = named!;
  if (others.length === 0) return own;
  const failing = others.filter((m) => !m.reaches);
  const reasons = [...(named!.reaches ? [] : [named!.reason]), ...failing.map((m) => `${m.service}: ${m.reason}`)];
  return {
    ...own,
    reaches: named!.reaches && failing.length === 0,
    reason: reasons.length > 0 ? reasons.join('; ') : named!.reason,
    members,
  };
}

/** The one other region of a two-region service; with more regions the run must name its target. */
/** How long the verify step waits for clients to be served in the target before its attempt fails. */
const VERIFY_SERVED_WITHIN_MS = 20_000;

const otherOf = (regions: readonly RegionName[], r: RegionName): RegionName | undefined => {
  const rest = regions.filter((x) => x !== r);
  return rest.length === 1 ? rest[0] : undefined;
};

/** The losses of a group's members as one: present when any member has a counter, the counts and keys added up. */
export function sumLosses(losses: LoadLoss[]): LoadLoss {
  const present = losses.filter((l): l is Extract<LoadLoss, { present: true }> => l.present);
  if (present.length === 0) return { present: false };
  const latest = present
    .map((l) => l.lastAcknowledgedAt)
    .filter((at): at is string => at !== null)
    .sort()
    .at(-1);
  return {
    present: true,
    checked: present.reduce((n, l) => n + l.checked, 0),
    lost: present.reduce((n, l) => n + l.lost, 0),
    lostKeys: present.flatMap((l) => l.lostKeys).slice(0, 50),
    lastAcknowledgedAt: latest ?? null,
  };
}

/** One health check of a member after the switch: green, or an error saying what is not. */
async function checkGreen(
  member: { providers: ServiceProviders; entry: string | undefined; healthUrl: string | undefined },
  region: RegionName,
): Promise<void> {
  const { providers, entry, healthUrl } = member;
  if (healthUrl) {
    const response = await fetch(`${healthUrl}/health`, { signal: AbortSignal.timeout(3_000) }).catch((err: Error) => err);
    if (response instanceof Error) throw new Error(`health through ${entry ? 'the entry point' : `region ${region}`} failed: ${response.message}`);
    const body = (await response.json().catch(() => undefined)) as BookingHealth | undefined;
    const dbGreen = providers.stateless || body?.db?.writable === true;
    if (!response.ok || body?.region !== region || body.status !== 'ok' || !dbGreen || body.mode !== 'normal') {
      throw new Error(`health is not green in region ${region}: HTTP ${response.status} ${JSON.stringify(body)}`);
    }
  } else if (providers.stateless) {
    // No database to look at: the service's own word, where a service-mode provider gives one.
    const health = providers.serviceMode && (await providers.serviceMode.health(region));
    if (health && (!health.reachable || health.status === 'degraded' || (health.mode !== undefined && health.mode !== 'normal')))
      throw new Error(`health is not green in region ${region}: ${JSON.stringify(health)}`);
  } else {
    const node = await need(providers, 'database').status(region);
    if (!node.reachable || node.inRecovery !== false || node.fenced)
      throw new Error(`region ${region}'s database is not a writable primary: ${JSON.stringify(node)}`);
  }
}

/**
 * Activities the region failover and failback runbooks need beyond the single-system adapters: finding the regions,
 * checking a target across database, service and load balancer, verifying through the load balancer, and counting
 * lost acknowledged bookings. Each reads the catalog at each call and is safe to repeat.
 */
export function createRegionSwitchActivities(access: TargetsAccess) {
  const refuse = (message: string) => ApplicationFailure.nonRetryable(message, ProviderErrorType.Precondition);

  return {
    /**
     * Resolves the source and target: the source defaults to the region the traffic provider sends clients to, the
     * target to the other one. Resolving here, not in the workflow, keeps the targets file out of workflow code.
     */
    async resolveRegions(args: { service: string; source?: RegionName; target?: RegionName }): Promise<SwitchRegions> {
      const names = Object.keys(access.targets().services);
      if (!names.includes(args.service)) {
        // An unknown target ends the run at once (no operator can fix it), so it never holds the run id of a real one.
        throw ApplicationFailure.nonRetryable(
          `the targets file has no service "${args.service}"; it has ${names.join(', ') || 'none'}`,
          ProviderErrorType.UnknownTarget,
        );
      }
      const providers = access.service(args.service);
      if (args.source !== undefined) knownRegion(providers, 'source', args.source);
      if (args.target !== undefined) knownRegion(providers, 'target', args.target);
      const active = await need(providers, 'traffic').active();
      const source = args.source ?? (args.target ? otherOf(providers.regions, args.target) : (active.region ?? undefined));
      if (!source) throw refuse(`the traffic provider points at ${active.endpoint}, which is no region of ${args.service}; pass --set source=REGION`);
      const target = args.target ?? otherOf(providers.regions, source);
      if (!target) throw refuse(`${args.service} has ${providers.regions.length} regions (${providers.regions.join(', ')}); pass --set target=REGION`);
      if (source === target) throw refuse(`source and target are both region ${source}`);
      const group = access
        .group(args.service)
        .map((p) => p.service)
        .sort();
      return { service: args.service, source, target, activeBefore: active.region, group, stateless: providers.stateless };
    },

    /**
     * Whether the region's database is fenced, read before the fence step so that its undo puts back what was there,
     * not what a retried attempt saw. Never throws: a database that does not answer is `reachable: false`.
     */
    async readFencing(args: OnService & { region: RegionName }): Promise<FencingState> {
      const node = await need(access.service(args.service), 'database').status(args.region);
      if (!node.reachable) return { region: args.region, reachable: false, error: node.error ?? 'unreachable' };
      return { region: args.region, reachable: true, fenced: node.fenced === true };
    },

    /**
     * How the region is set at the traffic provider (ready, drain or maint), read before the drain step so its undo
     * restores that: a server an operator had put in maintenance is not brought back into rotation by an abort.
     */
    async readServerState(
      args: OnService & { region: RegionName },
    ): Promise<ServerState & { members: { service: string; state: ServerState['state']; status: string }[] }> {
      // Each member's own, so an undo can put back each (drainBackend's `memberStates`); the top level is the named one's.
      const members = await eachMember(access, args, (p) => need(p, 'traffic').serving(args.region));
      return { region: args.region, ...members[0]!.result, members: members.map(({ service, result }) => ({ service, ...result })) };
    },

    /** Whether clients reach `region` once traffic is switched there; see `TargetReach`. Read-only. */
    async targetReach(args: OnService & { region: RegionName }): Promise<TargetReach> {
      const group = access.group(args.service);
      const members = await Promise.all(group.map(async (p) => ({ ...(await reachOf(p, args.region)), service: p.service })));
      return groupReach(members);
    },

    /**
     * Checks the target region: its database is a standby that is reachable (and streaming, when the source should be
     * up), its service answers and reaches its database (where a service-mode provider is named), and the traffic
     * provider reaches it (`TargetReach`, the same judgement readiness makes).
     */
    async preflightTarget(args: OnService & { region: RegionName; requireStreaming: boolean }): Promise<TargetPreflight> {
      const { region } = args;
      const group = access.group(args.service);
      const named = group[0]!;
      // A group shares one database cluster: the named service's section reaches it. A stateless service has none.
      const [database, members] = await Promise.all([
        named.stateless ? Promise.resolve(undefined) : need(named, 'database').status(region),
        Promise.all(
          group.map(async (p) => {
            const modes = p.serviceMode;
            const [health, reach] = await Promise.all([
              modes ? modes.health(region) : Promise.resolve<BookingHealth>({ region, reachable: true, status: 'ok' }),
              reachOf(p, region),
            ]);
            return { service: p.service, health, reach };
          }),
        ),
      ]);
      const problems: string[] = [];
      if (database) {
        if (!database.reachable) problems.push(`its database is unreachable (${database.error})`);
        else if (database.inRecovery === false) {
          problems.push('its database is already a primary, not a standby (after a failover, return with region-failback)');
        } else {
          if (args.requireStreaming && !database.streaming) problems.push('its standby is not streaming from the primary');
          if (database.replayPaused) problems.push('its standby has replay paused');
        }
      }
      // The named service's problems read as before; another member's are prefixed with its name.
      for (const [i, { service: name, health, reach }] of members.entries()) {
        const own: string[] = [];
        if (!health.reachable) own.push(`its service is unreachable (${health.error})`);
        else if (health.db && !health.db.reachable) own.push(`its service cannot reach its database (${health.db.error ?? 'unknown'})`);
        if (!reach.reaches) own.push(reach.reason);
        problems.push(...own.map((p) => (i === 0 ? p : `${name}: ${p}`)));
      }
      if (problems.length > 0) throw new Error(`target region ${region} is not ready: ${problems.join('; ')}`);
      const first = members[0]!;
      return {
        region,
        ...(database ? { database } : {}),
        service: first.health,
        loadBalancer: first.reach.endpoint,
        ...(named.stateless ? { stateless: true as const } : {}),
        ...(group.length > 1 ? { members: members.map((m) => ({ service: m.service, health: m.health, loadBalancer: m.reach.endpoint })) } : {}),
      };
    },

    /**
     * Verifies the switch the way a client would, for the service and every other member of its failover group.
     * Where a member's traffic provider names an HTTP entry point (a load balancer), the booking service books one
     * synthetic seat through it and checks it landed in `region`, then health is polled through it for the window.
     * Where it does not (DNS), checks the provider reports `region` active, books in the region directly, and polls the
     * region's health. Green health is status ok, mode normal, in `region`, with a writable database, except for a
     * service that keeps no data, which has none. The flight and seat derive from the key, so a retried attempt
     * replays the same booking instead of booking a second seat. The top-level fields are the named service's;
     * `members` (for a group) has each member's.
     */
    async verifyThroughLoadBalancer(
      args: OnService & { region: RegionName; idempotencyKey: string; windowSeconds: number; servedWithinSeconds?: number },
    ): Promise<{
      bookingRegion: string;
      replayed: boolean;
      healthChecks: number;
      /** When clients were first seen served in the target region (an older worker's result lacks it). */
      servedAt?: string;
      via: string;
      members?: { service: string; via: string; booked: boolean; replayed: boolean }[];
    }> {
      const group = access.group(args.service);
      const onEach = <T>(act: (p: ServiceProviders) => Promise<T>) =>
        Promise.all(group.map((p) => act(p).catch((err: unknown) => Promise.reject(group.length > 1 ? namingMember(err, p.service) : err))));
      const targets = access.targets();
      const reach = () =>
        onEach(async (p) => {
          const traffic = need(p, 'traffic');
          const entry = traffic.entryUrl;
          if (!entry) {
            const active = await traffic.active();
            if (active.region !== args.region)
              throw new Error(`${traffic.describe()} sends clients to ${active.region ?? active.endpoint}, not region ${args.region}`);
          }
          const booking = bookingApiOf(targets, p);
          let replayed = false;
          if (booking) {
            const flight = `LBV${createHash('sha256').update(args.idempotencyKey).digest('hex').slice(0, 7).toUpperCase()}`;
            const made = await booking.createBooking({
              ...(entry ? {} : { region: args.region }),
              idempotencyKey: args.idempotencyKey,
              flight,
              seat: '1A',
              passenger: 'Lifeboat verification',
            });
            if (made.booking.region !== args.region) throw new Error(`the synthetic booking landed in region ${made.booking.region}, not ${args.region}`);
            replayed = made.replayed;
          }
          return {
            providers: p,
            entry,
            healthUrl: entry ?? p.serviceMode?.urlOf?.(args.region),
            via: entry ?? traffic.describe(),
            booked: !!booking,
            replayed,
          };
        });
      // Clients count as served once the synthetic booking is made and health is green, checked every 250 ms, so the
      // moment is seen within a fraction of a second even when the target stalls just after the switch; a target that
      // serves nobody for VERIFY_SERVED_WITHIN_MS (or `servedWithinSeconds`) fails the attempt, as before.
      const allGreen = (members: Awaited<ReturnType<typeof reach>>) =>
        Promise.all(
          members.map((m) =>
            checkGreen(m, args.region).catch((err: unknown) => Promise.reject(group.length > 1 ? namingMember(err, m.providers.service) : err)),
          ),
        );
      const deadline = Date.now() + (args.servedWithinSeconds ?? VERIFY_SERVED_WITHIN_MS / 1000) * 1000;
      let members: Awaited<ReturnType<typeof reach>>;
      for (let tries = 1; ; tries++) {
        try {
          members = await reach();
          await allGreen(members);
          break;
        } catch (err) {
          if (Date.now() >= deadline) throw err;
          heartbeat({ servedYet: false, tries });
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      const servedAt = new Date().toISOString();
      const until = Date.now() + args.windowSeconds * 1000;
      let checks = 1;
      while (Date.now() < until) {
        await new Promise((r) => setTimeout(r, 250));
        await allGreen(members);
        checks++;
        heartbeat({ checks });
      }
      const named = members[0]!;
      return {
        bookingRegion: args.region,
        replayed: named.replayed,
        healthChecks: checks,
        servedAt,
        via: named.via,
        ...(group.length > 1 ? { members: members.map((m) => ({ service: m.providers.service, via: m.via, booked: m.booked, replayed: m.replayed })) } : {}),
      };
    },

    /**
     * Counts acknowledged writes that `region` lacks, from the sample estate's load counters: bookings for the booking
     * service, records (`load-<service>-acked.jsonl`, looked up at the service's `POST /records/lookup`) for the
     * others. For a failover group the counts are summed over the members that have a counter, each member's in
     * `members`. Services without one (every real estate: its own monitoring measures this) report `present: false`.
     */
    async countLostAcknowledged(args: OnService & { region: RegionName }): Promise<LoadLoss & { members?: { service: string; loss: LoadLoss }[] }> {
      const targets = access.targets();
      const counted = await eachMember(access, args, (p) => lostWritesCounter(targets, p)?.(args.region) ?? Promise.resolve<LoadLoss>({ present: false }));
      if (counted.length === 1) return counted[0]!.result;
      return { ...sumLosses(counted.map((m) => m.result)), members: counted.map(({ service, result }) => ({ service, loss: result })) };
    },
  };
}

export type RegionSwitchActivities = ReturnType<typeof createRegionSwitchActivities>;
