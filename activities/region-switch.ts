import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { NodeStatus } from '../providers/contracts/database';
import type { LoadLoss } from '../providers/contracts/isolated-drills';
import { ProviderErrorType } from '../providers/contracts/errors';
import type { RegionName } from '../providers/contracts/provider';
import type { EndpointHealth } from '../providers/contracts/traffic';
import type { BookingHealth } from '../providers/http/booking-service';
import { need } from '../providers/registry';
import { heartbeat } from '../providers/shared/activity-context';
import { knownRegion, type TargetsAccess } from './targets';
import type { OnService } from './traffic';

export type { LoadLoss };

/** The two regions of a switch, resolved from the catalog and the load balancer. */
export interface SwitchRegions {
  service: string;
  source: RegionName;
  target: RegionName;
  /** The region the load balancer sent clients to when the run looked. */
  activeBefore: RegionName | null;
}

/** What the preflight saw in the target region; returned only when every check passed. */
export interface TargetPreflight {
  region: RegionName;
  database: NodeStatus;
  service: BookingHealth;
  loadBalancer: EndpointHealth;
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

/** The one other region of a two-region service; with more regions the run must name its target. */
const otherOf = (regions: readonly RegionName[], r: RegionName): RegionName | undefined => {
  const rest = regions.filter((x) => x !== r);
  return rest.length === 1 ? rest[0] : undefined;
};

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
      return { service: args.service, source, target, activeBefore: active.region };
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
    async readServerState(args: OnService & { region: RegionName }): Promise<ServerState> {
      return { region: args.region, ...(await need(access.service(args.service), 'traffic').serving(args.region)) };
    },

    /** Whether clients reach `region` once traffic is switched there; see `TargetReach`. Read-only. */
    async targetReach(args: OnService & { region: RegionName }): Promise<TargetReach> {
      const traffic = need(access.service(args.service), 'traffic');
      const [endpoints, serving] = await Promise.all([traffic.health(), traffic.serving(args.region)]);
      return judgeReach(
        args.region,
        endpoints.find((r) => r.region === args.region),
        serving,
      );
    },

    /**
     * Checks the target region: its database is a standby that is reachable (and streaming, when the source should be
     * up), its service answers and reaches its database (where a service-mode provider is named), and the traffic
     * provider reaches it (`TargetReach`, the same judgement readiness makes).
     */
    async preflightTarget(args: OnService & { region: RegionName; requireStreaming: boolean }): Promise<TargetPreflight> {
      const { region } = args;
      const providers = access.service(args.service);
      const modes = providers.serviceMode;
      const traffic = need(providers, 'traffic');
      const [database, service, endpoints, serving] = await Promise.all([
        need(providers, 'database').status(region),
        modes ? modes.health(region) : Promise.resolve<BookingHealth>({ region, reachable: true, status: 'ok' }),
        traffic.health(),
        traffic.serving(region),
      ]);
      const reach = judgeReach(
        region,
        endpoints.find((r) => r.region === region),
        serving,
      );
      const loadBalancer = reach.endpoint;
      const problems: string[] = [];
      if (!database.reachable) problems.push(`its database is unreachable (${database.error})`);
      else if (database.inRecovery === false) {
        problems.push('its database is already a primary, not a standby (after a failover, return with region-failback)');
      } else {
        if (args.requireStreaming && !database.streaming) problems.push('its standby is not streaming from the primary');
        if (database.replayPaused) problems.push('its standby has replay paused');
      }
      if (!service.reachable) problems.push(`its service is unreachable (${service.error})`);
      else if (service.db && !service.db.reachable) problems.push(`its service cannot reach its database (${service.db.error ?? 'unknown'})`);
      if (!reach.reaches) problems.push(reach.reason);
      if (problems.length > 0) throw new Error(`target region ${region} is not ready: ${problems.join('; ')}`);
      return { region, database, service, loadBalancer };
    },

    /**
     * Verifies the switch the way a client would. Where the traffic provider names an HTTP entry point (a load
     * balancer), books one synthetic seat through it and checks it landed in `region`, then polls health through it
     * for the window. Where it does not (DNS), checks the provider reports `region` active, books in the region
     * directly, and polls the region's health. The flight and seat derive from the key, so a retried attempt replays
     * the same booking instead of booking a second seat.
     */
    async verifyThroughLoadBalancer(
      args: OnService & { region: RegionName; idempotencyKey: string; windowSeconds: number },
    ): Promise<{ bookingRegion: string; replayed: boolean; healthChecks: number; via: string }> {
      const providers = access.service(args.service);
      const traffic = need(providers, 'traffic');
      const entry = traffic.entryUrl;
      if (!entry) {
        const active = await traffic.active();
        if (active.region !== args.region)
          throw new Error(`${traffic.describe()} sends clients to ${active.region ?? active.endpoint}, not region ${args.region}`);
      }
      const booking = providers.booking;
      const healthUrl = entry ?? providers.serviceMode?.urlOf?.(args.region);
      let bookingRegion: string = args.region;
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
        bookingRegion = made.booking.region;
        replayed = made.replayed;
      }
      const until = Date.now() + args.windowSeconds * 1000;
      let checks = 0;
      do {
        if (healthUrl) {
          const response = await fetch(`${healthUrl}/health`, { signal: AbortSignal.timeout(3_000) }).catch((err: Error) => err);
          if (response instanceof Error) throw new Error(`health through ${entry ? 'the entry point' : `region ${args.region}`} failed: ${response.message}`);
          const body = (await response.json().catch(() => undefined)) as BookingHealth | undefined;
          if (!response.ok || body?.region !== args.region || body.status !== 'ok' || !body.db?.writable || body.mode !== 'normal') {
            throw new Error(`health is not green in region ${args.region}: HTTP ${response.status} ${JSON.stringify(body)}`);
          }
        } else {
          const node = await need(providers, 'database').status(args.region);
          if (!node.reachable || node.inRecovery !== false || node.fenced)
            throw new Error(`region ${args.region}'s database is not a writable primary: ${JSON.stringify(node)}`);
        }
        checks++;
        heartbeat({ checks });
        if (Date.now() < until) await new Promise((r) => setTimeout(r, 250));
      } while (Date.now() < until);
      return { bookingRegion, replayed, healthChecks: checks, via: entry ?? traffic.describe() };
    },

    /**
     * Counts acknowledged bookings that `region` lacks, from the sample estate's load counter. Services without one
     * (every real estate: its own monitoring measures this) report `present: false`.
     */
    async countLostAcknowledged(args: OnService & { region: RegionName }): Promise<LoadLoss> {
      const sample = access.service(args.service).sampleEstate;
      return sample ? sample.countLostAcknowledged(args.region) : { present: false };
    },
  };
}

export type RegionSwitchActivities = ReturnType<typeof createRegionSwitchActivities>;
