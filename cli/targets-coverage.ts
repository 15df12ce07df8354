import { isFileCapability, isServiceCapability, serviceCapabilities } from '../providers/contracts/capabilities';
import type { ProbeResult } from '../providers/contracts/provider';
import { fileProviders, type ServiceProviders } from '../providers/registry';
import { fileSettingsSections, serviceSettingsSections, type ServiceTargets, type Targets } from '../providers/targets/schema';
import { CliError } from './errors';

/** One row of `lifeboat targets check`: which provider of which service, what it checked and what it saw. */
export interface CheckRow extends ProbeResult {
  service: string;
  capability: string;
  provider: string;
}

const NOT_A_CAPABILITY = 'docs/adding-a-provider.md, "A new capability"';

/**
 * A failing row for each section of a service that names a provider no probe covered. A check that skipped it would
 * pass a file whose runbooks then fail at the step that uses it: a capability whose provider the registry could not
 * open from the file, or a section that is no capability of the catalog at all (so nothing opens or probes it).
 */
export function unprobedServiceSections(service: string, config: ServiceTargets, providers: ServiceProviders): CheckRow[] {
  const rows: CheckRow[] = [];
  for (const [section, settings] of Object.entries(config)) {
    if (settings === undefined || (serviceSettingsSections as readonly string[]).includes(section)) continue;
    if (isServiceCapability(section) && providers[section] !== undefined) continue;
    const provider = providerKind(settings);
    const at = `services.${service}.${section}`;
    rows.push({
      service,
      capability: section,
      provider,
      check: 'a probe covers it',
      ok: false,
      detail: isServiceCapability(section)
        ? `service "${service}" names ${section} ("${provider}"), but no probe covers it: Lifeboat opened no ${section} provider from ${at}, so a step that uses ${section} would fail too. Fix: give it the section it builds on (rebuild "sample-estate" needs services.${service}.database), or remove ${at}`
        : `service "${service}" names ${section}, but no probe covers it: ${section} is not a capability of providers/contracts/capabilities.ts, so nothing opens or probes its provider. Fix: add ${section} to that catalog and serve it where npx tsc --noEmit then points (${NOT_A_CAPABILITY})`,
    });
  }
  return rows;
}

/** The same for the whole file's sections (`fleet`): a failing row for each that names a provider no probe covered. */
export function unprobedFileSections(targets: Targets): CheckRow[] {
  const rows: CheckRow[] = [];
  for (const [section, settings] of Object.entries(targets)) {
    if (settings === undefined || (fileSettingsSections as readonly string[]).includes(section)) continue;
    if (isFileCapability(section) && fileProviders[section](targets) !== undefined) continue;
    rows.push({
      service: '-',
      capability: section,
      provider: providerKind(settings),
      check: 'a probe covers it',
      ok: false,
      detail: isFileCapability(section)
        ? `the file names ${section}, but no probe covers it: Lifeboat opened no ${section} provider from it. Fix: correct the "${section}" section, or remove it`
        : `the file names ${section}, but no probe covers it: ${section} is not a capability of providers/contracts/capabilities.ts, so nothing opens or probes its provider. Fix: add ${section} to that catalog and serve it where npx tsc --noEmit then points (${NOT_A_CAPABILITY})`,
    });
  }
  return rows;
}

/**
 * The refusal when the check ran nothing: "all 0 checks passed" would say a file is fine when it names no provider
 * at all for the services checked. Exit 1, as for a failed check.
 */
export function noChecksRan(path: string, services: readonly string[]): CliError {
  const who =
    services.length === 0
      ? 'it names no services'
      : services.length === 1
        ? `service "${services[0]}" names no provider`
        : `services ${services.map((s) => `"${s}"`).join(', ')} name no provider`;
  const sections = services.length === 0 ? 'services.<name>' : services.map((s) => `services.${s}`).join(', ');
  return new CliError(`${path}: 0 checks ran, so nothing says its systems can be reached: ${who}`, {
    code: 'no-checks',
    suggestion: `give ${sections} a provider for each capability its runbooks use (${serviceCapabilities.join(', ')}; see docs/adding-a-provider.md), or point --targets at the file that does`,
  });
}

/** The provider a section names, as the table's CAPABILITY column shows it. */
function providerKind(settings: unknown): string {
  const kind = typeof settings === 'object' && settings !== null ? (settings as { provider?: unknown }).provider : undefined;
  return typeof kind === 'string' ? kind : '-';
}
