import { fileCapabilities, serviceCapabilities } from '../../providers/contracts/capabilities';
import { fileProviders, openService } from '../../providers/registry';
import { failoverGroups } from '../../providers/targets/groups';
import { loadTargets, TargetsError, targetsPath } from '../../providers/targets/load';
import { commonOptions, type Command } from '../command';
import { CliError, ExitCode, usageError } from '../errors';
import { table } from '../render';
import { type CheckRow, noChecksRan, unprobedFileSections, unprobedServiceSections } from '../targets-coverage';

export const targetsCommand: Command = {
  name: 'targets',
  summary: 'Check the targets file: validate it and probe each provider read-only',
  usage: 'lifeboat targets check [--targets FILE] [--service NAME] [--json]',
  options: { ...commonOptions, targets: { type: 'string' }, service: { type: 'string' } },
  async run(ctx, { positionals, values }) {
    if (positionals[0] !== 'check')
      throw usageError(`unknown targets action "${positionals[0] ?? ''}"`, 'lifeboat targets check [--targets FILE] [--service NAME]');
    const path = targetsPath(values.targets as string | undefined, ctx.env);
    let targets;
    try {
      targets = loadTargets(path);
    } catch (err) {
      if (err instanceof TargetsError)
        throw new CliError(err.message, { code: 'invalid-targets', suggestion: 'fix the fields named above; the format is in docs/adding-a-provider.md' });
      throw err;
    }
    const only = values.service as string | undefined;
    const names = Object.keys(targets.services).filter((n) => only === undefined || n === only);
    if (only !== undefined && names.length === 0) {
      throw new CliError(`${path} has no service "${only}"`, {
        code: 'unknown-service',
        suggestion: `its services are ${Object.keys(targets.services).join(', ')}`,
        exitCode: ExitCode.usage,
      });
    }
    // Every capability of the catalog (providers/contracts/capabilities.ts), in its order; a section no probe covers
    // is a failed check, so a capability the check cannot probe never passes unseen.
    const rows: CheckRow[] = [];
    for (const name of names) {
      const config = targets.services[name]!;
      const providers = openService(name, config);
      for (const capability of serviceCapabilities) {
        const provider = providers[capability];
        if (!provider) continue;
        for (const r of await provider.probe()) rows.push({ service: name, capability, provider: provider.describe(), ...r });
      }
      rows.push(...unprobedServiceSections(name, config, providers));
    }
    if (only === undefined) {
      for (const capability of fileCapabilities) {
        const provider = fileProviders[capability](targets);
        if (!provider) continue;
        for (const r of await provider.probe()) rows.push({ service: '-', capability, provider: provider.kind, ...r });
      }
      rows.push(...unprobedFileSections(targets));
    }
    if (rows.length === 0) throw noChecksRan(path, names);
    const failed = rows.filter((r) => !r.ok).length;
    // What a failover moves besides the service named: its group, and what the services call. Facts of the file, no checks.
    const groups = failoverGroups(targets).filter((g) => g.members.some((m) => names.includes(m)));
    const dependencies = names.flatMap((name) => (targets.services[name]!.dependsOn ?? []).map((on) => ({ service: name, dependsOn: on })));
    if (ctx.json) ctx.printJson({ path, ok: failed === 0, checks: rows, groups, dependencies });
    else {
      ctx.print(`${path}\n`);
      ctx.print(
        table([
          ['SERVICE', 'CAPABILITY', 'CHECK', 'OK', 'DETAIL'],
          ...rows.map((r) => [r.service, `${r.capability}: ${r.provider}`, r.check, r.ok ? 'ok' : 'FAIL', r.detail]),
        ]),
      );
      if (groups.length > 0) {
        ctx.print('\nfailover groups (they share a database cluster, so a failover of one moves them all):\n');
        for (const g of groups) ctx.print(`  ${g.members.join(', ')}: ${g.cluster}\n`);
      }
      if (dependencies.length > 0) {
        ctx.print('\ndependencies (a service is healthy in a region only when those it calls answer there):\n');
        for (const d of dependencies) ctx.print(`  ${d.service} calls ${d.dependsOn}\n`);
      }
      ctx.print(failed === 0 ? `\nall ${rows.length} checks passed\n` : `\n${failed} of ${rows.length} checks failed\n`);
    }
    return failed === 0 ? ExitCode.ok : ExitCode.refused;
  },
};
