import { z } from 'zod';
import { CommandSettings } from '../command/settings';
import { HaproxySettings } from '../haproxy/settings';
import { HttpFleetSettings, HttpServiceModeSettings } from '../http/settings';
import { PatroniSettings } from '../patroni/settings';
import { PostgresSettings } from '../postgres/settings';
import { Route53Settings } from '../route53/settings';
import { SampleEstateSettings } from '../sample-estate/settings';
import { RegionId } from './fields';

const choose = (capability: string, providers: string) => ({
  error: (issue: { code?: string; input?: unknown }) =>
    issue.code === 'invalid_union' && typeof issue.input === 'object' && issue.input !== null && 'provider' in issue.input
      ? `unknown ${capability} provider "${String((issue.input as { provider: unknown }).provider)}"; use one of ${providers}`
      : `${capability} needs "provider": one of ${providers}`,
});

/** Who steers clients between the service's regions. */
export const TrafficTarget = z.discriminatedUnion('provider', [HaproxySettings, Route53Settings, CommandSettings], choose('traffic', 'haproxy, route53, command'));
/** The service's replicated database. */
export const DatabaseTarget = z.discriminatedUnion('provider', [PostgresSettings, PatroniSettings, CommandSettings], choose('database', 'postgres, patroni, command'));
/** Normal, read-only and manual modes of the service. */
export const ServiceModeTarget = z.discriminatedUnion('provider', [HttpServiceModeSettings, CommandSettings], choose('serviceMode', 'http, command'));
/** Rebuilding an old primary as a standby. `patroni` uses the database section's clusters. */
export const RebuildTarget = z.discriminatedUnion(
  'provider',
  [SampleEstateSettings, CommandSettings, z.strictObject({ provider: z.literal('patroni') })],
  choose('rebuild', 'sample-estate, command, patroni'),
);
/** The vendor fleet's management API. */
export const FleetTarget = z.discriminatedUnion('provider', [HttpFleetSettings, CommandSettings], choose('fleet', 'http, command'));

/** One service and the provider behind each capability a runbook needs. */
export const ServiceTargets = z
  .strictObject({
    regions: z.array(RegionId).min(2, 'a service fails over between at least two regions').describe('the regions the service runs in, home region first'),
    traffic: TrafficTarget,
    database: DatabaseTarget,
    serviceMode: ServiceModeTarget.optional(),
    rebuild: RebuildTarget.optional(),
    /** Isolated drills and the lost-booking counter: only the sample estate offers them today. */
    sampleEstate: SampleEstateSettings.optional(),
  })
  .superRefine((service, ctx) => {
    const regions = new Set(service.regions);
    if (regions.size !== service.regions.length) ctx.addIssue({ code: 'custom', path: ['regions'], message: 'a region is listed twice' });
    const perRegion: [string, Record<string, unknown> | undefined][] = [
      ['traffic', 'backends' in service.traffic ? service.traffic.backends : 'regions' in service.traffic ? service.traffic.regions : undefined],
      ['database', 'regions' in service.database ? service.database.regions : undefined],
      ['serviceMode', service.serviceMode && 'regions' in service.serviceMode ? service.serviceMode.regions : undefined],
      ['sampleEstate', service.sampleEstate?.dataDirs],
      ['rebuild', service.rebuild && 'dataDirs' in service.rebuild ? service.rebuild.dataDirs : undefined],
    ];
    for (const [capability, map] of perRegion) {
      if (!map) continue;
      const field = capability === 'traffic' && 'backends' in service.traffic ? 'backends' : capability === 'sampleEstate' || (capability === 'rebuild' && 'dataDirs' in map) ? 'dataDirs' : 'regions';
      for (const region of regions) {
        if (!(region in map)) ctx.addIssue({ code: 'custom', path: [capability, field], message: `region "${region}" is missing: give its settings here, or remove it from "regions"` });
      }
      for (const key of Object.keys(map)) {
        if (!regions.has(key)) ctx.addIssue({ code: 'custom', path: [capability, field, key], message: `"${key}" is not one of the service's regions (${service.regions.join(', ')}); add it to "regions" or remove it here` });
      }
    }
    if (service.rebuild?.provider === 'patroni' && service.database.provider !== 'patroni') {
      ctx.addIssue({ code: 'custom', path: ['rebuild', 'provider'], message: 'rebuild "patroni" needs database "patroni"; use "command" or "sample-estate" for a plain PostgreSQL pair' });
    }
  });
export type ServiceTargets = z.infer<typeof ServiceTargets>;

/** `lifeboat.targets.json`: the systems Lifeboat acts on, and which provider reaches each. */
export const Targets = z.strictObject({
  version: z.literal(1, 'the targets file format is version 1: add "version": 1'),
  services: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a service name is lower-case letters, digits and "-"'), ServiceTargets),
  fleet: FleetTarget.optional(),
});
export type Targets = z.infer<typeof Targets>;

export type TrafficTarget = z.infer<typeof TrafficTarget>;
export type DatabaseTarget = z.infer<typeof DatabaseTarget>;
export type ServiceModeTarget = z.infer<typeof ServiceModeTarget>;
export type RebuildTarget = z.infer<typeof RebuildTarget>;
export type FleetTarget = z.infer<typeof FleetTarget>;
