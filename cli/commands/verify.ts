import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { decode } from '@temporalio/common/lib/internal-non-workflow/codec-helpers';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { RECOVERY_PLAN_TYPE } from '../../kit';
import type { TrustRoot } from '../../lib/roster-seal';
import { terminalSafeJson } from '../../lib/terminal-text';
import { readTrustRoot, TrustRootError } from '../../lib/trust-root';
import { commonOptions, type Command } from '../command';
import type { CliContext } from '../context';
import { CliError, ExitCode, usageError } from '../errors';
import { explain } from '../runs';
import { fetchHistoryChain } from '../verify/history-chain';
import type { PayloadDecoder } from '../verify/history-decisions';
import { verifyPlanMembers } from '../verify/plan-members';
import { renderVerifyReport } from '../verify/render';
import { renderPlanVerifyReport } from '../verify/render-plan';
import { verifyRun } from '../verify/verify-run';

type History = temporal.api.history.v1.IHistory;

export const verifyCommand: Command = {
  name: 'verify',
  summary:
    "Re-check every signed decision of a run from its history (signers' keys, rosters, nonces, times) and, from Temporal's records, what ran: runbook, parents, continue-as-new chain, resets, reuse of its start, termination",
  usage: 'lifeboat verify <run-id> [--history FILE] [--roster FILE ... --trust-root FILE] [--json]',
  options: { ...commonOptions, history: { type: 'string' }, roster: { type: 'string', multiple: true }, 'trust-root': { type: 'string' } },
  async run(ctx, { positionals, values }) {
    const runId = positionals[0];
    if (!runId) throw usageError('name the run', 'lifeboat verify region-failover/booking (see lifeboat list)');
    const file = values.history as string | undefined;
    const seals = rosterSealOptions(values.roster as string[] | undefined, values['trust-root'] as string | undefined);
    const codecs = ctx.dataConverter()?.payloadCodecs ?? [];
    const decodePayloads: PayloadDecoder = async (payloads) =>
      (await decode(codecs, payloads as Parameters<typeof decode>[1])).map((p) => defaultPayloadConverter.fromPayload(p));

    const client = file ? undefined : await ctx.client();
    // A run that carried itself over (continue-as-new) keeps its earlier decisions in the earlier runs' histories.
    const chain = file
      ? [historyFromFile(file)]
      : await fetchHistoryChain(client!, runId).catch((err: unknown) => Promise.reject(explain(err, runId, ctx.taskQueue)));
    const shared = { namespace: ctx.settings().namespace, client, decode: decodePayloads, codecHint: codecHint(ctx), ...(seals ? { seals } : {}) };
    const verified = await verifyRun({ ...shared, workflowId: runId, chain });
    // A plan's run verifies only with every member run it started, and each one's delegation from it.
    const plan = verified.history.workflowType === RECOVERY_PLAN_TYPE ? await verifyPlanMembers(verified, shared) : undefined;
    const report = plan ?? verified.report;
    if (ctx.json) ctx.print(terminalSafeJson(report, 2));
    else ctx.print(plan ? renderPlanVerifyReport(plan, verified.report) : renderVerifyReport(verified.report));
    return report.ok ? 0 : 1;
  },
};

/**
 * `--roster` (once per roster the run may have used) with `--trust-root`: then every roster the run loaded must be one
 * of those, sealed by a quorum of the trust root's admins. Neither: the seal is not checked. One alone says what is missing.
 */
function rosterSealOptions(rosters: string[] | undefined, trustRootPath: string | undefined): { rosters: string[]; trustRoot: TrustRoot } | undefined {
  if (!rosters?.length && !trustRootPath) return undefined;
  if (!trustRootPath)
    throw usageError('--roster needs --trust-root FILE: the roster admins and quorum that must have sealed it', 'pass the trust root your workers are given');
  if (!rosters?.length)
    throw usageError(
      '--trust-root needs --roster FILE: the roster (with its .sig.json seal beside it) the run should have used',
      'pass --roster once per roster the run may have used',
    );
  try {
    return { rosters: rosters.map((r) => resolve(r)), trustRoot: readTrustRoot(trustRootPath) };
  } catch (err) {
    if (err instanceof TrustRootError)
      throw new CliError(err.message, { code: 'invalid-trust-root', suggestion: 'fix the field named above', exitCode: ExitCode.usage });
    throw err;
  }
}

/** A history JSON file, as `temporal workflow show --output json` or `historyToJSON` writes it. */
function historyFromFile(file: string): History {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(`cannot read --history ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'pass a history JSON file');
  }
  try {
    return historyFromJSON(JSON.parse(text));
  } catch (err) {
    throw usageError(
      `--history ${file} is not a workflow history: ${(err as Error).message}`,
      'export one with temporal workflow show --workflow-id ID --output json > history.json',
    );
  }
}

function codecHint(ctx: CliContext): string {
  return ctx.env.LIFEBOAT_CODEC_KEYS || ctx.env.LIFEBOAT_CODEC_KEY
    ? 'check that LIFEBOAT_CODEC_KEYS holds the key the run was encrypted with'
    : 'if the run is encrypted, set LIFEBOAT_CODEC_KEYS (or LIFEBOAT_CODEC_KEY) as for lifeboat status';
}
