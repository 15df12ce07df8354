import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { buildEvidencePack, catalogRecords, renderPackHtml, type EvidencePack } from '../../lib/evidence/pack';
import { htmlToPdf } from '../../lib/evidence/pack/pdf';
import { plans } from '../../plans';
import { loadTargets, targetsPath, TargetsError } from '../../providers/targets/load';
import { runbooks } from '../../runbooks';
import type { CliContext } from '../context';
import { CliError, ExitCode, usageError } from '../errors';
import { evidenceStoreFrom, evidenceTrustRoot, timeBound } from './options';
import { decisionRecheckFor } from './recheck-decisions';

/** The pack's flags, checked before the archive is opened, so a mistyped flag never costs a read of the archive. */
interface PackRequest {
  since: Date;
  until: Date;
  format: 'html' | 'pdf';
  out: string;
}

/** Reads and checks `evidence pack`'s flags; each mistake is a usage error (exit 2) naming its flag. */
export function packRequest(values: Record<string, unknown>, usage: string): PackRequest {
  if (values.since === undefined) throw usageError('--since: give the first day of the period, such as --since 2026-01-01', `usage: ${usage}`);
  if (values.until === undefined) throw usageError('--until: give the last day of the period, such as --until 2026-12-31', `usage: ${usage}`);
  const since = timeBound('since', values.since, 'since')!;
  const until = timeBound('until', values.until, 'until')!;
  if (since.getTime() > until.getTime())
    throw usageError(`--until ${String(values.until)} is before --since ${String(values.since)}`, 'give the period from its first day to its last');
  const format = values.format === undefined ? 'html' : String(values.format);
  if (format !== 'html' && format !== 'pdf') throw usageError(`--format ${format}: choose html or pdf`, `usage: ${usage}`);
  if (typeof values.out !== 'string' || values.out === '')
    throw usageError(`--out: say where to write the pack, such as --out pack.${format}`, `usage: ${usage}`);
  return { since, until, format, out: values.out };
}

/**
 * `lifeboat evidence pack`: the evidence pack of a period, from the archive alone, written as HTML or PDF. Exits 1
 * when the archive does not verify; the pack is written all the same, with the failure on its first page.
 */
export async function writeEvidencePack(ctx: CliContext, values: Record<string, unknown>, usage: string): Promise<number> {
  const request = packRequest(values, usage);
  const targets = serviceNames(values.targets as string | undefined, ctx.env);
  const store = evidenceStoreFrom(ctx, values.store as string | undefined);
  const trustRoot = evidenceTrustRoot(values['trust-root'] as string | undefined, ctx.env);
  const pack = await buildEvidencePack(store, {
    since: request.since,
    until: request.until,
    catalog: catalogRecords(runbooks, plans),
    ...(targets ? { targets } : {}),
    ...(trustRoot ? { trustRoot } : {}),
    // The same re-check of every decision as evidence verify: the pack never calls verified what that command refuses.
    recheck: decisionRecheckFor(ctx),
  });
  const html = renderPackHtml(pack, { madeAt: new Date() });
  const out = resolve(request.out);
  if (request.format === 'pdf') await htmlToPdf(html, out);
  else await writeFile(out, html);

  if (ctx.json) {
    ctx.printJson({
      out,
      format: request.format,
      integrity: pack.integrity,
      totals: pack.totals,
      coverage: pack.coverage,
      independenceCases: pack.independence.cases.length,
    });
    return pack.integrity.ok ? ExitCode.ok : ExitCode.refused;
  }
  ctx.print(summaryLine(pack, out));
  if (!pack.integrity.ok)
    throw new CliError(
      `the pack is written, but ${pack.integrity.failures.length} thing(s) in ${store.location} do not verify; first: ${pack.integrity.failures[0]!.message}`,
      { code: 'evidence-does-not-verify', suggestion: 'the pack says so on its first page; run lifeboat evidence verify --all for the full list' },
    );
  return ExitCode.ok;
}

/** The services of the targets file `--targets` (or LIFEBOAT_TARGETS, or the default place) names; undefined when there is none. */
function serviceNames(flag: string | undefined, env: NodeJS.ProcessEnv): string[] | undefined {
  const path = targetsPath(flag, env);
  // Only a file someone named must exist; without one the pack says it counted no services.
  if (!flag && !env.LIFEBOAT_TARGETS && !existsSync(path)) return undefined;
  try {
    return Object.keys(loadTargets(path).services);
  } catch (err) {
    if (err instanceof TargetsError)
      throw new CliError(`--targets: ${err.message}`, {
        code: 'invalid-targets',
        suggestion: 'fix the targets file, or name another with --targets FILE',
        exitCode: ExitCode.usage,
      });
    throw err;
  }
}

function summaryLine(pack: EvidencePack, out: string): string {
  const { totals, coverage } = pack;
  return [
    `wrote ${out}`,
    `period:    ${pack.period.since} to ${pack.period.until}`,
    `tests:     ${totals.tests} (${totals.drills} drill(s), ${totals.realRuns} real run(s)): ${totals.passed} passed, ${totals.failed} failed`,
    `untested:  ${coverage.untested.map((u) => u.id).join(', ') || 'none'}`,
    `never rehearsed: ${coverage.neverRehearsed.join(', ') || 'none'}`,
    `independence: ${pack.independence.cases.length} case(s) where requester, approvers and operators were not distinct`,
    `integrity: ${pack.integrity.ok ? 'every file, seal and chain link verifies' : `NOT VERIFIED (${pack.integrity.failures.length} thing(s) do not verify)`}`,
  ].join('\n');
}
