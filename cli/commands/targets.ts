import { probeFleet } from '../../providers/http/fleet';
import type { ProbeResult } from '../../providers/contracts/provider';
import { openFleet, openService } from '../../providers/registry';
import { loadTargets, TargetsError, targetsPath } from '../../providers/targets/load';
import { commonOptions, type Command } from '../command';
import { CliError, ExitCode, usageError } from '../errors';
import { table } from '../render';

/** One row of the check: which provider of which service, what it checked and what it saw. */
interface CheckRow extends ProbeResult {
  service: string;
  capability: string;
  provider: string;
}

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
    const rows: CheckRow[] = [];
    for (const name of names) {
      const providers = openService(name, targets.services[name]!);
      for (const capability of ['traffic', 'database', 'serviceMode', 'rebuild'] as const) {
        const provider = providers[capability];
        if (!provider) continue;
        for (const r of await provider.probe()) rows.push({ service: name, capability, provider: provider.describe(), ...r });
      }
    }
    const fleet = openFleet(targets);
    if (fleet && only === undefined) {
      const where = targets.fleet?.provider === 'http' ? targets.fleet.url : 'command';
      for (const r of await probeFleet(fleet, where)) rows.push({ service: '-', capability: 'fleet', provider: targets.fleet!.provider, ...r });
    }
    const failed = rows.filter((r) => !r.ok).length;
    if (ctx.json) ctx.printJson({ path, ok: failed === 0, checks: rows });
    else {
      ctx.print(`${path}\n`);
      ctx.print(
        table([
          ['SERVICE', 'CAPABILITY', 'CHECK', 'OK', 'DETAIL'],
          ...rows.map((r) => [r.service, `${r.capability}: ${r.provider}`, r.check, r.ok ? 'ok' : 'FAIL', r.detail]),
        ]),
      );
      ctx.print(failed === 0 ? `\nall ${rows.length} checks passed\n` : `\n${failed} of ${rows.length} checks failed\n`);
    }
    return failed === 0 ? ExitCode.ok : ExitCode.refused;
  },
};
