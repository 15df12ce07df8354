import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { decode } from '@temporalio/common/lib/internal-non-workflow/codec-helpers';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import type { TrustRoot } from '../../lib/roster-seal';
import { terminalSafeJson } from '../../lib/terminal-text';
import { readTrustRoot, TrustRootError } from '../../lib/trust-root';
import { runbooks } from '../../runbooks';
import { statusQuery, type RunStatus } from '../../kit';
import { commonOptions, type Command } from '../command';
import type { CliContext } from '../context';
import { CliError, ExitCode, usageError } from '../errors';
import { explain, runHandle } from '../runs';
import { checkRun } from '../verify/check';
import { fetchHistoryChain, joinHistoryChain } from '../verify/history-chain';
import { HistoryError, readRunHistory, type PayloadDecoder } from '../verify/history-decisions';
import { checkContinuation } from '../verify/continuation';
import { LifecycleError, readLifecycle } from '../verify/lifecycle';
import { checkLifecycle } from '../verify/lifecycle-checks';
import { renderVerifyReport } from '../verify/render';
import { checkRosterSeals, sealedRosters } from '../verify/roster-seal';

type History = temporal.api.history.v1.IHistory;

/** How long a running run's worker gets to answer the status query; its answer only adds detail. */
const STATUS_QUERY_DEADLINE_MS = 5_000;

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
    let run;
    let lifecycles;
    let history;
    let continuation;
    try {
      // Every run of the chain was fetched under this workflow ID, whether or not its start event names it.
      lifecycles = (await Promise.all(chain.map((h) => readLifecycle(h, decodePayloads)))).map((l) => ({ ...l, workflowId: l.workflowId ?? runId }));
      // Decisions are read from the runs after the last link of the chain that another workflow forged.
      continuation = checkContinuation(lifecycles);
      history = joinHistoryChain(chain.slice(continuation.from));
      run = await readRunHistory(history, decodePayloads);
    } catch (err) {
      if (err instanceof HistoryError || err instanceof LifecycleError)
        throw new CliError(`cannot verify ${runId}: ${err.message}`, { code: 'bad-history', suggestion: codecHint(ctx) });
      throw err;
    }
    if (!run.signedDecisions && continuation.problems.length > 0) {
      throw new CliError(`${runId} does not verify: ${continuation.problems.join('; ')}`, {
        code: 'forged-chain',
        suggestion: `treat what it did as unauthorised: see lifeboat status ${runId} for what ran`,
      });
    }
    if (!run.signedDecisions) {
      throw new CliError(`${runId} predates signed decisions: its decisions were never signed, so there is nothing to verify`, {
        code: 'unsigned-run',
        suggestion: `its audit trail (lifeboat status ${runId}) is all there is for it; runs started since signed decisions exist can be verified`,
      });
    }
    const final = run.closed?.state === 'completed' && isStatus(run.closed.result) ? { value: run.closed.result, from: 'result' as const } : undefined;
    const live = !final && !run.closed && client ? await liveStatus(client, runId) : undefined;
    const runbookOf = (workflowType: string) => Object.values(runbooks).find((r) => r.workflowType === workflowType)?.id;
    const status = final ?? live;
    const checked = checkRun(run, { namespace: ctx.settings().namespace, workflowId: runId, ...(status ? { status } : {}), runbookOf });
    // A terminated run answers a query only through a worker replaying it; its answer names the step it stopped in.
    const stoppedIn = run.closed?.state === 'terminated' && client ? await liveStatus(client, runId) : undefined;
    const lifecycle = await checkLifecycle({
      first: lifecycles[continuation.from]!,
      joined: await readLifecycle(history, decodePayloads),
      run,
      report: checked,
      client,
      decode: decodePayloads,
      runbookOf,
      ...(status?.value.runbook ? { statusRunbook: status.value.runbook } : {}),
      ...(status ? { gates: status.value.gates } : {}),
      ...(stoppedIn?.value.currentStep ? { terminatedInStep: stoppedIn.value.currentStep } : {}),
    });
    const recorded = [
      ...checked.rosters.map((r) => ({ digest: r.digest, where: `loaded at ${r.at}` })),
      ...(status?.value.trust?.rosterDigest
        ? [{ digest: status.value.trust.rosterDigest, where: `recorded in its ${status.from === 'result' ? 'result' : 'live status'}` }]
        : []),
    ];
    const sealProblems = seals ? checkRosterSeals(recorded, await sealedRosters(seals.rosters, seals.trustRoot)) : [];
    const problems = [...continuation.problems, ...checked.problems, ...lifecycle.problems, ...sealProblems];
    const report = { ...checked, ...(lifecycle.notes.length > 0 ? { notes: lifecycle.notes } : {}), problems, ok: problems.length === 0 };
    if (ctx.json) ctx.print(terminalSafeJson(report, 2));
    else ctx.print(renderVerifyReport(report));
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

/** The status a running run's worker answers with, or undefined when no worker answers in time. */
async function liveStatus(client: Awaited<ReturnType<CliContext['client']>>, runId: string): Promise<{ value: RunStatus; from: 'query' } | undefined> {
  try {
    const value = await client.withDeadline(Date.now() + STATUS_QUERY_DEADLINE_MS, () => runHandle(client, runId).query(statusQuery));
    return isStatus(value) ? { value, from: 'query' } : undefined;
  } catch {
    return undefined;
  }
}

function isStatus(value: unknown): value is RunStatus {
  const status = value as Partial<RunStatus> | null | undefined;
  return typeof status === 'object' && status !== null && Array.isArray(status.audit) && Array.isArray(status.gates);
}

function codecHint(ctx: CliContext): string {
  return ctx.env.LIFEBOAT_CODEC_KEYS || ctx.env.LIFEBOAT_CODEC_KEY
    ? 'check that LIFEBOAT_CODEC_KEYS holds the key the run was encrypted with'
    : 'if the run is encrypted, set LIFEBOAT_CODEC_KEYS (or LIFEBOAT_CODEC_KEY) as for lifeboat status';
}
