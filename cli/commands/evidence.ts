import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { bundlesOfRun } from '../../lib/evidence/select';
import type { EvidenceStore } from '../../lib/evidence/store';
import { checkBundle } from '../../lib/evidence/verify-bundle';
import { verifyArchive } from '../../lib/evidence/verify-archive';
import type { TrustRoot } from '../../lib/roster-seal';
import { commonOptions, type Command } from '../command';
import type { CliContext } from '../context';
import { CliError, ExitCode, usageError } from '../errors';
import { readArchiverStatus, renderArchiverStatus } from '../evidence/archiver-status';
import { decisionRecheckFor } from '../evidence/recheck-decisions';
import { evidenceStoreFrom, evidenceTrustRoot, timeBound } from '../evidence/options';
import { writeEvidencePack } from '../evidence/pack';
import { renderBundleList, renderVerification } from '../evidence/render';

const usage = [
  'lifeboat evidence list [--runbook R] [--since DATE] [--until DATE] [--store DIR|s3://bucket/prefix] [--json]',
  'lifeboat evidence get <run-id> --out DIR [--store ...] [--trust-root FILE] [--json]',
  'lifeboat evidence verify [<run-id> | --all] [--store ...] [--trust-root FILE] [--json]',
  'lifeboat evidence status [--json]',
  'lifeboat evidence pack --since DATE --until DATE --format html|pdf --out FILE [--store ...] [--trust-root FILE] [--targets FILE] [--json]',
].join('\n       ');

/**
 * `lifeboat evidence`: the sealed archive of finished runs, read without Temporal. `list` finds bundles, `get` copies
 * one out for an auditor, and `verify` checks files, seals, hash chains and every signed decision again from the archived
 * histories (cli/evidence/recheck-decisions.ts), exiting 1 with each thing that does not verify.
 * With the workers' trust root (`--trust-root`, LIFEBOAT_TRUST_ROOT), each bundle's roster must be one its admins sealed.
 * `pack` assembles a period's evidence pack for an auditor (tests, independence, findings, coverage, integrity).
 */
export const evidenceCommand: Command = {
  name: 'evidence',
  summary: 'The sealed evidence archive of finished runs: list bundles, get one into a folder, verify files, seals and hash chains (no Temporal needed)',
  usage,
  options: {
    ...commonOptions,
    store: { type: 'string' },
    runbook: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    out: { type: 'string' },
    all: { type: 'boolean' },
    'trust-root': { type: 'string' },
    format: { type: 'string' },
    targets: { type: 'string' },
  },
  async run(ctx, { positionals, values }) {
    const [action, ...rest] = positionals;
    if (action !== 'list' && action !== 'get' && action !== 'verify' && action !== 'status' && action !== 'pack')
      throw usageError(action ? `unknown evidence command "${action}"` : 'say what to do: list, get, verify or status', `usage: ${usage}`);
    const takesNone = action === 'status' || action === 'pack';
    if (rest.length > (takesNone ? 0 : 1)) throw usageError(`unexpected "${rest.slice(takesNone ? 0 : 1).join(' ')}"`, `usage: ${usage}`);
    if (action === 'status') return status(ctx);
    if (action === 'pack') return writeEvidencePack(ctx, values, usage);
    const store = evidenceStoreFrom(ctx, values.store as string | undefined);
    if (action === 'list') return list(ctx, store, values);
    const trustRoot = evidenceTrustRoot(values['trust-root'] as string | undefined, ctx.env);
    if (action === 'get') return get(ctx, store, rest[0], values.out as string | undefined, trustRoot);
    return verify(ctx, store, rest[0], values.all === true, trustRoot);
  },
};

/** `evidence status`: how far the archiver has got; exit 1 when a run keeps failing to archive, naming it and the error. */
async function status(ctx: CliContext): Promise<number> {
  const state = await readArchiverStatus(await ctx.client());
  if (ctx.json) {
    ctx.printJson(state);
    return state.stuck ? ExitCode.refused : ExitCode.ok;
  }
  ctx.print(renderArchiverStatus(state));
  if (state.stuck)
    throw new CliError(`archiving is stuck on ${state.archiving!.workflowId} (run ${state.archiving!.temporalRunId}): ${state.archiving!.lastError}`, {
      code: 'archiving-stuck',
      suggestion: 'fix the evidence store (LIFEBOAT_EVIDENCE_STORE on the workers); the archiver keeps retrying, and no run waits for it',
    });
  return ExitCode.ok;
}

async function list(ctx: CliContext, store: EvidenceStore, values: Record<string, unknown>): Promise<number> {
  const since = timeBound('since', values.since, 'since');
  const until = timeBound('until', values.until, 'until');
  const runbook = values.runbook as string | undefined;
  const bundles = await store.list({ ...(runbook ? { runbook } : {}), ...(since ? { since } : {}), ...(until ? { until } : {}) });
  if (ctx.json) ctx.printJson({ store: store.location, bundles });
  else ctx.print(renderBundleList(store.location, bundles));
  return ExitCode.ok;
}

async function get(
  ctx: CliContext,
  store: EvidenceStore,
  selector: string | undefined,
  out: string | undefined,
  trustRoot: TrustRoot | undefined,
): Promise<number> {
  if (!selector)
    throw usageError(
      'name the run: lifeboat evidence get <run-id> --out DIR',
      'a run id such as region-failover/booking, a Temporal run ID, or a key from lifeboat evidence list',
    );
  if (!out) throw usageError('say where to put the bundle: --out DIR', `usage: ${usage}`);
  const matches = await bundlesOfRun(store, selector);
  // A run id names every run of a runbook on a target; the newest is the one people mean.
  const address = matches.at(-1);
  const stored = address ? await store.get(address.key) : undefined;
  if (!address || !stored)
    throw new CliError(`no bundle of ${selector} in ${store.location}`, {
      code: 'not-found',
      suggestion: 'see lifeboat evidence list for what the archive holds',
    });
  const dir = resolve(out);
  await mkdir(dir, { recursive: true });
  const names = Object.keys(stored.files).sort();
  for (const name of names) await writeFile(join(dir, name), stored.files[name]!);
  const findings = checkBundle(stored, trustRoot).findings;
  if (ctx.json)
    ctx.printJson({
      store: store.location,
      key: address.key,
      runId: address.runId,
      finishedAt: address.finishedAt,
      out: dir,
      files: names,
      otherRuns: matches.length - 1,
      findings,
    });
  else {
    ctx.print(`${address.key} -> ${dir}: ${names.join(', ')}`);
    if (matches.length > 1) ctx.io.stderr(`# the newest of ${matches.length} runs of ${selector}; name a Temporal run ID or a key for another\n`);
    ctx.print(findings.length === 0 ? 'files and seal verify' : ['does not verify:', ...findings.map((f) => `  - [${f.check}] ${f.message}`)].join('\n'));
  }
  return ExitCode.ok;
}

async function verify(ctx: CliContext, store: EvidenceStore, selector: string | undefined, all: boolean, trustRoot: TrustRoot | undefined): Promise<number> {
  if (all === (selector !== undefined))
    throw usageError(all ? 'give a run id or --all, not both' : 'say what to verify: a run id, or --all', `usage: ${usage}`);
  const addresses = selector === undefined ? undefined : await bundlesOfRun(store, selector);
  if (addresses?.length === 0)
    throw new CliError(`no bundle of ${selector} in ${store.location}`, {
      code: 'not-found',
      suggestion: 'see lifeboat evidence list for what the archive holds',
    });
  // Every decision is checked again from the archived histories alone: the seals say what was archived, not that it holds.
  const result = await verifyArchive(store, addresses, { ...(trustRoot ? { trustRoot } : {}), recheck: decisionRecheckFor(ctx) });
  if (result.bundles.length === 0)
    throw new CliError(`${store.location} holds no evidence bundles, so nothing was verified`, {
      code: 'empty-archive',
      suggestion: 'check --store or LIFEBOAT_EVIDENCE_STORE, and that the workers archive there',
    });
  if (ctx.json) {
    ctx.printJson(result);
    return result.ok ? ExitCode.ok : ExitCode.refused;
  }
  ctx.print(renderVerification(result));
  if (!result.ok)
    throw new CliError(`${result.findings.length} thing(s) in ${store.location} do not verify; first: ${result.findings[0]!.message}`, {
      code: 'evidence-does-not-verify',
      suggestion: 'treat the archive as tampered with until each finding above is explained',
    });
  return ExitCode.ok;
}
