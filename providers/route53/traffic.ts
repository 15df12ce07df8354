import type { ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53';
import { providerFailure, ProviderErrorType } from '../contracts/errors';
import type { RegionName } from '../contracts/provider';
import type { EndpointHealth, ServingState, TrafficProvider } from '../contracts/traffic';
import { upsertAndWait } from './change';
import { route53Client } from './client';
import { evaluateHealthCheck } from './health';
import { probeRoute53 } from './probe';
import { activeFromRecords, describeRecord, readRecordSets, recordOf, valuesOf } from './records';
import type { Route53Settings } from './settings';

/** For tests and scripts: an own client (e.g. with static credentials), and how often to poll a pending change. */
export interface Route53TrafficOptions {
  client?: Route53Client;
  pollMs?: number;
}

/** Weight of the active region in weighted routing; every other region gets 0. */
export const ACTIVE_WEIGHT = 100;

/**
 * Traffic through a Route 53 record with one record set per region.
 *
 * - `failover` routing: the PRIMARY record is the active region. A switch makes the target PRIMARY and the other
 *   SECONDARY in one atomic batch of UPSERTs. `weighted`: the active region has a weight above 0 (a switch sets
 *   100) and every other region 0. A switch changes only the routing role, the health check id (the targets file's,
 *   else the record's own) and, when the file sets one, the TTL: values and alias targets stay as they are.
 * - `active()` is the records' configured intent, not Route 53's health-based answer of the moment. A failover
 *   record set already answers with SECONDARY when PRIMARY's health check fails; if `active()` followed that,
 *   `switchTo` would call the switch done while the old region is still PRIMARY, and clients would flow back there
 *   as soon as it recovered. `health()` shows whether Route 53 is overriding the records.
 * - A switch reads before it writes (idempotent: `changed: false` when the records already say so), waits until
 *   Route 53 reports the change INSYNC (`changeTimeoutSeconds`), then reads back. Clients follow within the TTL.
 *   A retry after that wait timed out finds the records switched and returns `changed: false` without waiting again.
 * - `health()` reports each region's health check as Route 53 evaluates it (more than 18% of checkers healthy, with
 *   disabled and inverted checks accounted for). A record without a health check is healthy, as Route 53 treats it;
 *   a status Route 53 does not report is `unknown` and not healthy, never assumed.
 * - DNS has no per-region drain. `setServing('drain' | 'maint')` changes nothing and says so (`applied: false`):
 *   weight 0 is what the passive region already has, a disabled health check counts as healthy, and inverting a
 *   health check others may share is not ours to do. `ready` is always in effect (`applied: true`).
 * - Errors: throttling, a change in progress and network failures are plain (retryable); denied access, a missing
 *   zone or health check, a missing record set and a refused change are non-retryable, naming the fix.
 */
export function createRoute53Traffic(settings: Route53Settings, regions: readonly string[], options: Route53TrafficOptions = {}): TrafficProvider {
  const client = options.client ?? route53Client(settings);
  const pollMs = options.pollMs ?? 2_000;
  const where = `zone ${settings.hostedZoneId}, record ${settings.recordName} ${settings.recordType}`;

  const regionSettings = (region: RegionName) => {
    const r = regions.includes(region) ? settings.regions[region] : undefined;
    if (!r) throw providerFailure(ProviderErrorType.UnknownTarget, `Route 53 has no record set for region "${region}"; the regions are ${regions.join(', ')}`);
    return r;
  };

  /** Each region's record set, or a non-retryable failure naming the one that is missing or of the wrong routing. */
  async function regionRecords(): Promise<Map<RegionName, ResourceRecordSet>> {
    if (settings.routing === 'failover' && regions.length !== 2) {
      throw providerFailure(
        ProviderErrorType.InvalidInput,
        `failover routing switches between exactly two regions, the service has ${regions.length}; use "routing": "weighted"`,
      );
    }
    const sets = await readRecordSets(client, settings);
    const byRegion = new Map<RegionName, ResourceRecordSet>();
    for (const region of regions) {
      const id = regionSettings(region).setIdentifier;
      const set = recordOf(sets, settings, region);
      if (!set) {
        throw providerFailure(
          ProviderErrorType.Precondition,
          `${where} has no record set "${id}" for region ${region}; create it (see docs/providers/route53.md) or fix "setIdentifier"`,
        );
      }
      const fits = settings.routing === 'failover' ? set.Failover !== undefined : set.Weight !== undefined;
      if (!fits)
        throw providerFailure(
          ProviderErrorType.Precondition,
          `record set "${id}" is ${describeRecord(set)}, not a ${settings.routing} record; fix "routing" in the targets file`,
        );
      byRegion.set(region, set);
    }
    return byRegion;
  }

  /** Whether a region's record set already plays the role the switch gives it. */
  const plays = (set: ResourceRecordSet, isTarget: boolean) =>
    settings.routing === 'failover' ? set.Failover === (isTarget ? 'PRIMARY' : 'SECONDARY') : isTarget ? (set.Weight ?? 0) > 0 : set.Weight === 0;

  /** The record set as the switch leaves it: only role, health check and (when the file sets one) TTL change. */
  function switched(region: RegionName, set: ResourceRecordSet, isTarget: boolean): ResourceRecordSet {
    const healthCheckId = settings.regions[region]?.healthCheckId ?? set.HealthCheckId;
    const role =
      settings.routing === 'failover' ? { Failover: isTarget ? 'PRIMARY' : 'SECONDARY' } : { Weight: isTarget ? Math.max(set.Weight ?? 0, ACTIVE_WEIGHT) : 0 };
    return {
      ...set,
      ...role,
      ...(healthCheckId ? { HealthCheckId: healthCheckId } : {}),
      ...(settings.ttl !== undefined && !set.AliasTarget ? { TTL: settings.ttl } : {}),
    } as ResourceRecordSet;
  }

  async function active(): Promise<{ region: RegionName | null; endpoint: string }> {
    return activeFromRecords(await readRecordSets(client, settings), settings, regions);
  }

  async function health(): Promise<EndpointHealth[]> {
    const sets = await readRecordSets(client, settings);
    return Promise.all(
      regions.map(async (region): Promise<EndpointHealth> => {
        const r = regionSettings(region);
        const set = recordOf(sets, settings, region);
        const endpoint = `${r.setIdentifier} ${set ? valuesOf(set).join(' ') : r.value}`;
        if (!set) return { region, endpoint, healthy: false, status: 'no record set', checkDetail: `${where} has no record set "${r.setIdentifier}"` };
        const id = r.healthCheckId ?? set.HealthCheckId;
        if (!id) return { region, endpoint, healthy: true, status: 'no health check (Route 53 treats the record as healthy)' };
        return { region, endpoint, ...(await evaluateHealthCheck(client, settings, id)) };
      }),
    );
  }

  return {
    kind: 'route53',
    describe: () => `route53 (zone ${settings.hostedZoneId}, record ${settings.recordName}, ${settings.routing})`,
    active,
    health,
    probe: () => probeRoute53(client, settings, regions),

    async switchTo(region) {
      regionSettings(region);
      const records = await regionRecords();
      const before = activeFromRecords([...records.values()], settings, regions);
      if ([...records].every(([r, set]) => plays(set, r === region))) return { region, previous: before.region, changed: false };
      const batch = [...records].map(([r, set]) => switched(r, set, r === region));
      await upsertAndWait(client, settings, batch, `lifeboat: ${settings.recordName} to region ${region}`, pollMs);
      const after = await active();
      if (after.region !== region) throw new Error(`the switch of ${settings.recordName} to region ${region} did not take: Route 53 now has ${after.endpoint}`);
      return { region, previous: before.region, changed: true };
    },

    async serving(region) {
      const id = regionSettings(region).setIdentifier;
      const set = recordOf(await readRecordSets(client, settings), settings, region);
      return { state: 'ready', status: set ? `in DNS: ${describeRecord(set)}` : `no record set "${id}"` };
    },

    async setServing(region, state: ServingState) {
      regionSettings(region);
      return { state, applied: state === 'ready' };
    },
  };
}
