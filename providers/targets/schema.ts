import { z } from 'zod';
import { CommandSettings } from '../command/settings';
import { type FileCapability, type ServiceCapability, serviceCapabilities } from '../contracts/capabilities';
import { HaproxySettings } from '../haproxy/settings';
import { HttpFleetSettings, HttpServiceModeSettings } from '../http/settings';
import { PatroniSettings } from '../patroni/settings';
import { PostgresSettings } from '../postgres/settings';
import { Route53Settings } from '../route53/settings';
import { SampleEstateSettings } from '../sample-estate/settings';
import { RegionId } from './fields';
import { groupConflicts } from './groups';

const choose = (capability: string, providers: string) => ({
  error: (issue: { code?: string; input?: unknown }) =>
    issue.code === 'invalid_union' && typeof issue.input === 'object' && issue.input !== null && 'provider' in issue.input
      ? `unknown ${capability} provider "${String((issue.input as { provider: unknown }).provider)}"; use one of ${providers}`
      : `${capability} needs "provider": one of ${providers}`,
});

/** Who steers clients between the service's regions. */
export const TrafficTarget = z.discriminatedUnion(
  'provider',
  [HaproxySettings, Route53Settings, CommandSettings],
  choose('traffic', 'haproxy, route53, command'),
);
/** The service's replicated database. */
export const DatabaseTarget = z.discriminatedUnion(
  'provider',
  [PostgresSettings, PatroniSettings, CommandSettings],
  choose('database', 'postgres, patroni, command'),
);
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

/**
 * Each service capability's section (providers/contracts/capabilities.ts), all optional: a service that only switches
 * modes needs no traffic provider. Every capability of the catalog, so tsc names this place when one is added.
 */
const ServiceCapabilityTargets = {
  traffic: TrafficTarget.optional(),
  database: DatabaseTarget.optional(),
  serviceMode: ServiceModeTarget.optional(),
  rebuild: RebuildTarget.optional(),
} satisfies { [C in ServiceCapability]: z.ZodOptional };

/** The whole file's capabilities' sections; every one of the catalog, as above. */
const FileCapabilityTargets = {
  fleet: FleetTarget.optional(),
} satisfies { [C in FileCapability]: z.ZodOptional };

/**
 * The sections that are settings, not capabilities: nothing opens a provider from them, so `lifeboat targets check`
 * probes none of them, on purpose. Any other section must be a capability of the catalog (tsc checks it below).
 */
export const serviceSettingsSections = ['regions', 'sampleEstate', 'dependsOn', 'stateless'] as const;
export const fileSettingsSections = ['version', 'services', 'stations'] as const;

/** The per-region part of a provider's settings, and the field it lives in, so every map can be checked against `regions`. */
function regionMap(settings: object | undefined): [field: string, map: Record<string, unknown>] | undefined {
  if (!settings) return undefined;
  for (const field of ['backends', 'regions', 'dataDirs']) {
    const map = (settings as Record<string, unknown>)[field];
    if (map && typeof map === 'object') return [field, map as Record<string, unknown>];
  }
  return undefined;
}

/** A service's name, as the file's `services` keys and `dependsOn` spell it. */
const ServiceName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a service name is lower-case letters, digits and "-"');

/**
 * One service and the provider behind each capability a runbook needs. Every capability is optional here: a service
 * that only switches modes needs no traffic provider. A step that needs a missing one fails naming the section to add,
 * and waits for an operator: the file is read at each attempt, so a retry after fixing it goes on.
 */
export const ServiceTargets = z
  .strictObject({
    regions: z.array(RegionId).min(2, 'a service fails over between at least two regions').describe('the regions the service runs in, home region first'),
    ...ServiceCapabilityTargets,
    /** Isolated drills and the lost-booking counter: only the sample estate offers them today. */
    sampleEstate: SampleEstateSettings.optional(),
    dependsOn: z.array(ServiceName).optional().describe('the services of this file it calls: it is healthy in a region only when they answer there'),
    stateless: z
      .literal(true, '"stateless" is true or left out')
      .optional()
      .describe('keeps no data: no database or rebuild section, and a failover moves only its traffic and modes'),
  })
  .superRefine((service, ctx) => {
    const regions = new Set(service.regions);
    if (regions.size !== service.regions.length) ctx.addIssue({ code: 'custom', path: ['regions'], message: 'a region is listed twice' });
    for (const capability of [...serviceCapabilities, 'sampleEstate'] as const) {
      const found = regionMap(service[capability]);
      if (!found) continue;
      const [field, map] = found;
      for (const region of regions) {
        if (!(region in map))
          ctx.addIssue({
            code: 'custom',
            path: [capability, field],
            message: `region "${region}" is missing: give its settings here, or remove it from "regions"`,
          });
      }
      for (const key of Object.keys(map)) {
        if (!regions.has(key)) {
          ctx.addIssue({
            code: 'custom',
            path: [capability, field, key],
            message: `"${key}" is not one of the service's regions (${service.regions.join(', ')}); add it to "regions" or remove it here`,
          });
        }
      }
    }
    if (service.stateless) {
      for (const section of ['database', 'rebuild'] as const) {
        if (service[section])
          ctx.addIssue({
            code: 'custom',
            path: [section],
            message: `a stateless service keeps no data, so it has no ${section}: remove "${section}", or remove "stateless": true if the service keeps data`,
          });
      }
    }
    if (service.rebuild?.provider === 'patroni' && service.database?.provider !== 'patroni') {
      ctx.addIssue({
        code: 'custom',
        path: ['rebuild', 'provider'],
        message: 'rebuild "patroni" needs database "patroni"; use "command" or "sample-estate" for a plain PostgreSQL pair',
      });
    }
  });
export type ServiceTargets = z.infer<typeof ServiceTargets>;

/**
 * Problems with the services' `dependsOn`: a name the file does not have, the service itself, and a cycle (a service
 * that waits, through others, for itself could never be healthy first), each at the service that names it.
 */
function dependencyIssues(services: Record<string, { dependsOn?: string[] }>): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const names = Object.keys(services);
  for (const [name, service] of Object.entries(services)) {
    (service.dependsOn ?? []).forEach((dep, i) => {
      if (dep === name) issues.push({ path: ['services', name, 'dependsOn', i], message: `"${name}" cannot depend on itself: remove "${dep}" here` });
      else if (!(dep in services))
        issues.push({
          path: ['services', name, 'dependsOn', i],
          message: `"${dep}" is not a service of this file (it has ${names.join(', ')}): add services.${dep}, or remove it here`,
        });
    });
  }
  // Depth-first from each service in file order; a name met again on the current path closes a cycle, reported once.
  const done = new Set<string>();
  const reported = new Set<string>();
  const visit = (name: string, path: string[]): void => {
    const at = path.indexOf(name);
    if (at >= 0) {
      const cycle = [...path.slice(at), name];
      const key = [...cycle.slice(0, -1)].sort().join(',');
      if (!reported.has(key)) {
        reported.add(key);
        issues.push({
          path: ['services', cycle[0]!, 'dependsOn'],
          message: `dependsOn makes a cycle: ${cycle.join(' -> ')}; remove one of these dependencies, since no service in a cycle could become healthy first`,
        });
      }
      return;
    }
    if (done.has(name) || !(name in services)) return;
    for (const dep of services[name]!.dependsOn ?? []) if (dep !== name) visit(dep, [...path, name]);
    done.add(name);
  };
  for (const name of names) visit(name, []);
  return issues;
}

/** `lifeboat.targets.json`: the systems Lifeboat acts on, and which provider reaches each. */
export const Targets = z
  .strictObject({
    version: z.literal(1, 'the targets file format is version 1: add "version": 1'),
    services: z.record(ServiceName, ServiceTargets),
    ...FileCapabilityTargets,
    stations: z
      .array(z.string().regex(/^[A-Z0-9][A-Z0-9-]{0,31}$/, 'a station code is upper-case letters, digits and "-", e.g. ICN-T1'))
      .optional()
      .describe('the stations that keep an offline ledger while booking is manual'),
  })
  .superRefine((file, ctx) => {
    for (const issue of dependencyIssues(file.services)) ctx.addIssue({ code: 'custom', ...issue });
    // Services on one database cluster fail over as one group (providers/targets/groups.ts), so they must agree on it.
    for (const conflict of groupConflicts(file.services))
      ctx.addIssue({ code: 'custom', path: ['services', conflict.service, 'database'], message: conflict.message });
  });
export type Targets = z.infer<typeof Targets>;

/**
 * A section a schema above gained that is neither a capability of the catalog nor a settings section must be `never`:
 * read by nothing and probed by nothing, it would be a silent gap, so tsc refuses it here, naming the section.
 */
type NoneUnclassified<Sections extends never> = Sections;
type ServiceSectionsClassified = NoneUnclassified<Exclude<keyof ServiceTargets, ServiceCapability | (typeof serviceSettingsSections)[number]>>;
type FileSectionsClassified = NoneUnclassified<Exclude<keyof Targets, FileCapability | (typeof fileSettingsSections)[number]>>;
