import type { Capability } from '../kit';
import { fileCapabilities, serviceCapabilities } from '../providers/contracts/capabilities';
import { groupOf } from '../providers/targets/groups';
import { loadTargets, targetsPath } from '../providers/targets/load';
import { CliError, ExitCode } from './errors';

/** How the plan and the status name the provider behind each capability: `traffic` → `haproxy (127.0.0.1:…, map … key booking)`. */
export type ProviderNames = Partial<Record<Capability, string>>;

/**
 * The providers the targets file names for a service, for display only. Without `--targets` or `--service` a missing
 * or ambiguous file just means the plan shows no providers; a file or service named on purpose that cannot be read is
 * an error.
 */
export async function providerNames(opts: { targets?: string; service?: string; env: NodeJS.ProcessEnv }): Promise<ProviderNames | undefined> {
  const explicit = opts.targets !== undefined || opts.service !== undefined;
  try {
    const targets = loadTargets(targetsPath(opts.targets, opts.env));
    // The providers' modules (an AWS SDK, PostgreSQL's client, the sample estate) load only when a file names them.
    const { fileProviders, serviceFrom } = await import('../providers/registry');
    const providers = serviceFrom(targets, opts.service);
    const names: ProviderNames = {};
    // Every capability of the catalog: the service's own, then the whole file's.
    for (const c of serviceCapabilities) {
      const p = providers[c];
      if (p) names[c] = p.describe();
    }
    for (const c of fileCapabilities) {
      const p = fileProviders[c](targets);
      if (p) names[c] = p.describe();
    }
    return names;
  } catch (err) {
    if (!explicit) return undefined;
    throw new CliError((err as Error).message, { code: 'targets', suggestion: 'check the file with: lifeboat targets check', exitCode: ExitCode.usage });
  }
}

/** The line under a step that names its providers, or nothing when the step uses none or none is known. */
export function actsThrough(uses: readonly Capability[] | undefined, names: ProviderNames | undefined): string | undefined {
  if (!uses || !names) return undefined;
  const parts = uses.map((c) => `${c}: ${names[c] ?? 'none named in the targets file'}`);
  return parts.length ? `acts through ${parts.join('; ')}` : undefined;
}

/**
 * What the targets file says about how a service moves, in words for the plan: the services that move with it (they
 * share its database cluster), the services it calls, and whether it keeps data at all. Empty when the file cannot be
 * read or names no such service: the plan is shown without it.
 */
export function howServiceMoves(opts: { targets?: string; service?: string; env: NodeJS.ProcessEnv }): string[] {
  if (!opts.service) return [];
  try {
    const targets = loadTargets(targetsPath(opts.targets, opts.env));
    const config = targets.services[opts.service];
    if (!config) return [];
    const lines: string[] = [];
    const group = groupOf(targets, opts.service);
    if (group.length > 1) {
      lines.push(`moves together: ${group.join(', ')} (they share one database cluster; a failover of any of them moves them all)`);
    }
    if (config.dependsOn?.length) lines.push(`depends on: ${config.dependsOn.join(', ')} (readiness checks them in the target region)`);
    if (config.stateless) lines.push(`keeps no data: the data steps (fence, catch up, promote, count lost writes) do not run; only traffic and modes move`);
    return lines;
  } catch {
    return [];
  }
}
