/**
 * The capabilities: what a runbook may ask of the world, each served by a provider that the targets file names. This
 * is the one list of them. The kit's `Capability` (what a step `uses`), the targets file's schema, the contracts, the
 * registry, the `command` provider, `lifeboat targets check` and `lifeboat plan` all derive from it, each through a
 * mapped type that tsc holds complete: add a capability here and `npx tsc --noEmit` names every place that must serve
 * it (docs/adding-a-provider.md, "A new capability").
 *
 * This file imports nothing, so the kit (workflow code, no Node built-ins) and the providers can both import it
 * without a circle, wherever the kit lives.
 */
export const capabilities = {
  /** Steers clients between the service's regions. */
  traffic: { scope: 'service' },
  /** The service's replicated database: its state, fencing, promotion. */
  database: { scope: 'service' },
  /** The service's normal, read-only and manual modes. */
  serviceMode: { scope: 'service' },
  /** Rebuilds an old primary as a standby of the new one. */
  rebuild: { scope: 'service' },
  /** The vendor fleet's management API, one for the whole file. */
  fleet: { scope: 'file' },
} as const satisfies Record<string, CapabilityEntry>;

/** What the catalog says of one capability. */
export interface CapabilityEntry {
  /**
   * Where the targets file names its provider: `service` in each service's section (`services.booking.traffic`),
   * `file` once at the top level (`fleet`).
   */
  readonly scope: 'service' | 'file';
}

/** A capability, as the targets file and a step's `uses` name it. */
export type Capability = keyof typeof capabilities;

/** The capabilities each service names a provider for. */
export type ServiceCapability = { [C in Capability]: (typeof capabilities)[C]['scope'] extends 'service' ? C : never }[Capability];

/** The capabilities the targets file names once, for every service. */
export type FileCapability = Exclude<Capability, ServiceCapability>;

/** Every capability, in the catalog's order (the order `lifeboat targets check` probes them in). */
export const capabilityNames = Object.keys(capabilities) as Capability[];

/** The capabilities of a service, in the catalog's order. */
export const serviceCapabilities = capabilityNames.filter((c): c is ServiceCapability => capabilities[c].scope === 'service');

/** The capabilities of the whole file, in the catalog's order. */
export const fileCapabilities = capabilityNames.filter((c): c is FileCapability => capabilities[c].scope === 'file');

/** Whether a section name of the targets file is a capability of a service. */
export function isServiceCapability(name: string): name is ServiceCapability {
  return (serviceCapabilities as readonly string[]).includes(name);
}

/** Whether a top-level section name of the targets file is a capability of the whole file. */
export function isFileCapability(name: string): name is FileCapability {
  return (fileCapabilities as readonly string[]).includes(name);
}
