import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { estateLayout } from '../estate/state-dir';
import { EstateErrorType, heartbeat, loadCatalog, type EstateCatalog, type RegionName } from './catalog';
import { createEstateActivities } from './estate';
import type { BookingHealth } from './booking';
import type { NodeStatus } from './postgres';
import type { BackendHealth } from './traffic';

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
  loadBalancer: BackendHealth;
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

/** What the load counter says about acknowledged bookings after a switch; `present: false` where no load runs. */
export type LoadLoss =
  | { present: false }
  | { present: true; checked: number; lost: number; lostKeys: string[]; lastAcknowledgedAt: string | null };

const other = (r: RegionName): RegionName => (r === 'A' ? 'B' : 'A');

/**
 * Activities the region failover and failback runbooks need beyond the single-system adapters: finding the regions,
 * checking a target across database, service and load balancer, verifying through the load balancer, and counting
 * lost acknowledged bookings. Each reads the catalog at each call and is safe to repeat.
 */
export function createRegionSwitchActivities(opts: { catalogPath: string }) {
  const estate = createEstateActivities(opts);
  const catalog = (): EstateCatalog => {
    try {
      return loadCatalog(opts.catalogPath);
    } catch (err) {
      throw ApplicationFailure.retryable((err as Error).message, EstateErrorType.NotReachable);
    }
  };
  const refuse = (message: string) => ApplicationFailure.nonRetryable(message, EstateErrorType.Precondition);

  return {
    /**
     * Resolves the source and target: the source defaults to the region the load balancer sends clients to, the
     * target to the other one. Resolving here, not in the workflow, keeps the catalog lookup out of workflow code.
     */
    async resolveRegions(args: { service: string; source?: RegionName; target?: RegionName }): Promise<SwitchRegions> {
      const services = Object.keys(catalog().services);
      if (!services.includes(args.service)) {
        // An unknown target ends the run at once (no operator can fix it), so it never holds the run id of a real one.
        throw ApplicationFailure.nonRetryable(`the estate catalog has no service "${args.service}"; it has ${services.join(', ')}`, EstateErrorType.UnknownTarget);
      }
      const active = await estate.activeBackend();
      const source = args.source ?? (args.target ? other(args.target) : active.region);
      if (!source) throw refuse(`the load balancer routes to ${active.backend}, which is no region of ${args.service}; pass --set source=A|B`);
      const target = args.target ?? other(source);
      if (source === target) throw refuse(`source and target are both region ${source}`);
      return { service: args.service, source, target, activeBefore: active.region };
    },

    /**
     * Whether the region's database is fenced, read before the fence step so that its undo puts back what was there,
     * not what a retried attempt saw. Never throws: a database that does not answer is `reachable: false`.
     */
    async readFencing(args: { region: RegionName }): Promise<FencingState> {
      const node = await estate.nodeStatus(args);
      if (!node.reachable) return { region: args.region, reachable: false, error: node.error ?? 'unreachable' };
      return { region: args.region, reachable: true, fenced: node.fenced === true };
    },

    /**
     * How the region's server is set at the load balancer (ready, drain or maint), read before the drain step so its
     * undo restores that: a server an operator had put in maintenance is not brought back into rotation by an abort.
     */
    async readServerState(args: { region: RegionName }): Promise<ServerState> {
      const { regions } = await estate.backendHealth();
      const status = regions.find((r) => r.region === args.region)?.status ?? 'unknown';
      const state = status.startsWith('MAINT') ? 'maint' : status.startsWith('DRAIN') ? 'drain' : 'ready';
      return { region: args.region, state, status };
    },

    /**
     * Checks the target region: its database is a standby that is reachable (and streaming, when the source should be
     * up), its booking service answers and reaches its database, and the load balancer sees its server up.
     */
    async preflightTarget(args: { region: RegionName; requireStreaming: boolean }): Promise<TargetPreflight> {
      const { region } = args;
      const [database, service, lb] = await Promise.all([estate.nodeStatus({ region }), estate.health({ region }), estate.backendHealth()]);
      const loadBalancer = lb.regions.find((r) => r.region === region)!;
      const problems: string[] = [];
      if (!database.reachable) problems.push(`its database is unreachable (${database.error})`);
      else if (database.inRecovery === false) {
        problems.push('its database is already a primary, not a standby (after a failover, return with region-failback)');
      } else {
        if (args.requireStreaming && !database.streaming) problems.push('its standby is not streaming from the primary');
        if (database.replayPaused) problems.push('its standby has replay paused');
      }
      if (!service.reachable) problems.push(`its booking service is unreachable (${service.error})`);
      else if (!service.db?.reachable) problems.push(`its booking service cannot reach its database (${service.db?.error ?? 'unknown'})`);
      if (!loadBalancer.status.startsWith('UP') && loadBalancer.status !== 'DRAIN') {
        problems.push(`the load balancer sees its server ${loadBalancer.backend}/${loadBalancer.server} as ${loadBalancer.status}`);
      }
      if (problems.length > 0) throw new Error(`target region ${region} is not ready: ${problems.join('; ')}`);
      return { region, database, service, loadBalancer };
    },

    /**
     * Books one synthetic seat through the load balancer and checks it landed in `region`, then polls health through
     * the load balancer for the window. The flight and seat derive from the key, so a retried attempt replays the same
     * booking instead of booking a second seat.
     */
    async verifyThroughLoadBalancer(args: { region: RegionName; idempotencyKey: string; windowSeconds: number }): Promise<{ bookingRegion: string; replayed: boolean; healthChecks: number }> {
      const lb = catalog().loadBalancer;
      if (!lb) throw refuse('the estate has no load balancer to verify through');
      const flight = `LBV${createHash('sha256').update(args.idempotencyKey).digest('hex').slice(0, 7).toUpperCase()}`;
      const { booking, replayed } = await estate.createBooking({ idempotencyKey: args.idempotencyKey, flight, seat: '1A', passenger: 'Lifeboat verification' });
      if (booking.region !== args.region) throw new Error(`the synthetic booking landed in region ${booking.region}, not ${args.region}`);
      const until = Date.now() + args.windowSeconds * 1000;
      let checks = 0;
      do {
        const response = await fetch(`${lb.clientUrl}/health`, { signal: AbortSignal.timeout(3_000) }).catch((err: Error) => err);
        if (response instanceof Error) throw new Error(`health through the load balancer failed: ${response.message}`);
        const body = (await response.json().catch(() => undefined)) as BookingHealth | undefined;
        if (!response.ok || body?.region !== args.region || body.status !== 'ok' || !body.db?.writable || body.mode !== 'normal') {
          throw new Error(`health through the load balancer is not green in region ${args.region}: HTTP ${response.status} ${JSON.stringify(body)}`);
        }
        checks++;
        heartbeat({ checks });
        if (Date.now() < until) await new Promise((r) => setTimeout(r, 250));
      } while (Date.now() < until);
      return { bookingRegion: booking.region, replayed, healthChecks: checks };
    },

    /**
     * Counts acknowledged bookings that `region` lacks, from the estate's load counter (`load.json` and the keys it
     * acknowledged). Estates without a running load counter report `present: false`.
     */
    async countLostAcknowledged(args: { region: RegionName }): Promise<LoadLoss> {
      const c = catalog();
      const layout = estateLayout(c.stateDir);
      if (!existsSync(layout.loadCounters) || !existsSync(layout.loadAcked)) return { present: false };
      const counters = JSON.parse(readFileSync(layout.loadCounters, 'utf8')) as { lastAcknowledged?: { at: string } | null };
      const keys = readFileSync(layout.loadAcked, 'utf8')
        .split('\n')
        .flatMap((line) => {
          try {
            return line ? [JSON.parse(line) as string] : [];
          } catch {
            return []; // the load may be writing this line right now
          }
        });
      const url = c.services.booking.regions[args.region].url;
      const missing: string[] = [];
      for (let i = 0; i < keys.length; i += 5_000) {
        const response = await fetch(`${url}/bookings/lookup`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ keys: keys.slice(i, i + 5_000) }),
          signal: AbortSignal.timeout(15_000),
        });
        if (!response.ok) throw new Error(`region ${args.region} could not look up acknowledged bookings: HTTP ${response.status} ${await response.text()}`);
        missing.push(...((await response.json()) as { missing: string[] }).missing);
        heartbeat({ checked: i });
      }
      return { present: true, checked: keys.length, lost: missing.length, lostKeys: missing.slice(0, 50), lastAcknowledgedAt: counters.lastAcknowledged?.at ?? null };
    },
  };
}

export type RegionSwitchActivities = ReturnType<typeof createRegionSwitchActivities>;
