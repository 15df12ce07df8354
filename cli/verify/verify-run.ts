import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { RECOVERY_PLAN_TYPE, statusQuery, type RunStatus } from '../../kit';
import type { TrustRoot } from '../../lib/roster-seal';
import { CliError } from '../errors';
import { checkRun, type VerifyReport } from './check';
import { checkContinuation } from './continuation';
import { fetchHistoryChainFrom, joinHistoryChain } from './history-chain';
import { HistoryError, readRunHistory, type PayloadDecoder, type RunHistory } from './history-decisions';
import { LifecycleError, readLifecycle, type RunLifecycle } from './lifecycle';
import { checkLifecycle } from './lifecycle-checks';
import { carriedApprovalNonces, checkPlanDelegation, type DelegationFindings, type PlanRunRecord } from './plan-delegation';
import { checkRosterSeals, sealedRosters } from './roster-seal';
import { catalogRunbookOf, planOfRun, runbookOfRun } from './runbook-of';
import { runName } from './start-statement';

type History = temporal.api.history.v1.IHistory;

/** How long a running run's worker gets to answer the status query; its answer only adds detail. */
const STATUS_QUERY_DEADLINE_MS = 5_000;

/** A run's status, and where verify had it from. */
export interface StatusAnswer {
  value: RunStatus;
  from: 'result' | 'query';
}

export interface VerifyRunInputs {
  workflowId: string;
  /** Its histories, oldest first: the run and the runs it continued from. */
  chain: History[];
  /** The Temporal run ID of the chain's last run, when verify knows it; otherwise the latest under the workflow ID. */
  lastRunId?: string;
  namespace: string;
  /** The server, or undefined when verify reads a history file. */
  client: Client | undefined;
  decode: PayloadDecoder;
  /** What to suggest when a history cannot be read (the codec keys). */
  codecHint: string;
  seals?: { rosters: string[]; trustRoot: TrustRoot };
  /** The plan run that started this run as a member, when verify has read it already. */
  planRun?: PlanRunRecord;
}

/** One run verified: the report, and what verify read to make it, for checks that span runs. */
export interface RunVerification {
  report: VerifyReport;
  /** The first run of the chain verify trusts: its start event. */
  first: RunLifecycle;
  /** The chain verify trusts as one lifecycle: what Temporal recorded of all of it (the children it started, say). */
  joined: RunLifecycle;
  history: RunHistory;
  status?: StatusAnswer;
  /** For a member a plan started: its delegation, checked against the plan run. */
  delegation?: DelegationFindings;
}

/**
 * Verifies one run from its histories: every signed decision, and from Temporal's records what ran (see `checkRun` and
 * `checkLifecycle`). A run a recovery plan started is also checked against that plan run: its parent, the plan's
 * approval it carries, and the gates that approval stood for. Throws a CliError when the run cannot be verified at all.
 */
export async function verifyRun(inputs: VerifyRunInputs): Promise<RunVerification> {
  const { workflowId, chain, client, decode } = inputs;
  let run;
  let lifecycles;
  let history;
  let continuation;
  try {
    // Every run of the chain was fetched under this workflow ID, whether or not its start event names it.
    lifecycles = (await Promise.all(chain.map((h) => readLifecycle(h, decode)))).map((l) => ({ ...l, workflowId: l.workflowId ?? workflowId }));
    // Decisions are read from the runs after the last link of the chain that another workflow forged.
    continuation = checkContinuation(lifecycles);
    history = joinHistoryChain(chain.slice(continuation.from));
    run = await readRunHistory(history, decode);
  } catch (err) {
    if (err instanceof HistoryError || err instanceof LifecycleError)
      throw new CliError(`cannot verify ${workflowId}: ${err.message}`, { code: 'bad-history', suggestion: inputs.codecHint });
    throw err;
  }
  if (!run.signedDecisions && continuation.problems.length > 0) {
    throw new CliError(`${workflowId} does not verify: ${continuation.problems.join('; ')}`, {
      code: 'forged-chain',
      suggestion: `treat what it did as unauthorised: see lifeboat status ${workflowId} for what ran`,
    });
  }
  if (!run.signedDecisions) {
    throw new CliError(`${workflowId} predates signed decisions: its decisions were never signed, so there is nothing to verify`, {
      code: 'unsigned-run',
      suggestion: `its audit trail (lifeboat status ${workflowId}) is all there is for it; runs started since signed decisions exist can be verified`,
    });
  }
  const first = lifecycles[continuation.from]!;
  const final = run.closed?.state === 'completed' && isStatus(run.closed.result) ? { value: run.closed.result, from: 'result' as const } : undefined;
  const live = !final && !run.closed && client ? await liveStatus(client, workflowId, inputs.lastRunId) : undefined;
  // A plan's runs share one workflow type; the plan is the one the run ID names.
  const runbookOf = (workflowType: string) =>
    workflowType === RECOVERY_PLAN_TYPE ? runbookOfRun({ workflowType, workflowId }, catalogRunbookOf) : catalogRunbookOf(workflowType);
  const status = final ?? live;
  const delegatedNonces = first.parent ? carriedApprovalNonces(first.request) : undefined;
  const checked = checkRun(run, {
    namespace: inputs.namespace,
    workflowId,
    ...(status ? { status } : {}),
    runbookOf,
    ...(delegatedNonces ? { delegatedNonces } : {}),
  });
  // A terminated run answers a query only through a worker replaying it; its answer names the step it stopped in.
  const stoppedIn = run.closed?.state === 'terminated' && client ? await liveStatus(client, workflowId, inputs.lastRunId) : undefined;
  const joined = await readLifecycle(history, decode);
  const lifecycle = await checkLifecycle({
    first,
    joined,
    run,
    report: checked,
    client,
    decode,
    runbookOf,
    ...(status?.value.runbook ? { statusRunbook: status.value.runbook } : {}),
    ...(status ? { gates: status.value.gates } : {}),
    ...(stoppedIn?.value.currentStep ? { terminatedInStep: stoppedIn.value.currentStep } : {}),
  });
  const planAborts = checked.decisions.filter((d) => d.message === 'plan-abort' && d.verified && d.counted !== false && d.nonce).map((d) => d.nonce!);
  const delegation =
    client && (first.parent || inputs.planRun) ? await planDelegationOf(client, decode, inputs, first, run, status?.value, planAborts) : undefined;
  const recorded = [
    ...checked.rosters.map((r) => ({ digest: r.digest, where: `loaded at ${r.at}` })),
    ...(status?.value.trust?.rosterDigest
      ? [{ digest: status.value.trust.rosterDigest, where: `recorded in its ${status.from === 'result' ? 'result' : 'live status'}` }]
      : []),
  ];
  const sealProblems = inputs.seals ? checkRosterSeals(recorded, await sealedRosters(inputs.seals.rosters, inputs.seals.trustRoot)) : [];
  const notes = [...lifecycle.notes, ...(delegation?.notes ?? [])];
  const problems = [...continuation.problems, ...checked.problems, ...lifecycle.problems, ...(delegation?.problems ?? []), ...sealProblems];
  const report = { ...checked, ...(notes.length > 0 ? { notes } : {}), problems, ok: problems.length === 0 };
  return { report, first, joined, history: run, ...(status ? { status } : {}), ...(delegation ? { delegation } : {}) };
}

/**
 * For a run whose parent is a recovery plan's run, the check of its delegation against that plan run (read here unless
 * the caller has it already); undefined for any other parent, which `checkDelegation` judges.
 */
async function planDelegationOf(
  client: Client,
  decode: PayloadDecoder,
  inputs: VerifyRunInputs,
  first: RunLifecycle,
  run: RunHistory,
  status: RunStatus | undefined,
  planAborts: string[],
): Promise<DelegationFindings | undefined> {
  const roster = run.rosters[0]?.roster;
  const parentRef = first.parent;
  if (!parentRef) return inputs.planRun ? checkPlanDelegation(inputs.planRun, { first, roster, planAborts, ...(status ? { status } : {}) }) : undefined;
  let parent: RunLifecycle | undefined;
  try {
    parent = await readLifecycle(await client.workflow.getHandle(parentRef.workflowId, parentRef.runId || undefined).fetchHistory(), decode);
  } catch {
    parent = undefined;
  }
  const byPlan = parent?.workflowType === RECOVERY_PLAN_TYPE;
  const planRun = inputs.planRun ?? (parent && byPlan ? await readPlanRun(client, decode, inputs.namespace, parent) : undefined);
  if (!planRun) {
    if (!byPlan && carriedApprovalNonces(first.request).size === 0) return undefined;
    // Its gates may have counted those approvals: they stand only on a plan run verify can read.
    return {
      signers: [],
      delegatedGates: [],
      notes: [],
      problems: [
        byPlan
          ? `its parent ${runName(parentRef.workflowId, parentRef.runId)} is a plan run whose history or plan verify cannot read, so its delegation cannot be checked`
          : `it carries a plan's approval, but its parent ${runName(parentRef.workflowId, parentRef.runId)} is no recovery plan run, so that approval stands for nothing`,
      ],
    };
  }
  return checkPlanDelegation(planRun, { first, ...(parent ? { parent } : {}), roster, planAborts, ...(status ? { status } : {}) });
}

/** A plan's run as its member's parent names it: its first run's start event, and its status (result or live answer). */
async function readPlanRun(client: Client, decode: PayloadDecoder, namespace: string, parent: RunLifecycle): Promise<PlanRunRecord | undefined> {
  const plan = planOfRun(parent.workflowId);
  if (!plan || !parent.workflowId) return undefined;
  try {
    const { chain, lastRunId } = await fetchHistoryChainFrom(client, parent.workflowId, parent.firstExecutionRunId);
    const first = await readLifecycle(chain[0]!, decode);
    const closed = (await readRunHistory(joinHistoryChain(chain), decode)).closed;
    const status =
      closed?.state === 'completed' && isStatus(closed.result)
        ? closed.result
        : !closed
          ? (await liveStatus(client, parent.workflowId, lastRunId))?.value
          : undefined;
    return { plan, namespace, first: { ...first, workflowId: first.workflowId ?? parent.workflowId }, ...(status ? { status } : {}) };
  } catch {
    return undefined;
  }
}

/** The status a running run's worker answers with, or undefined when no worker answers in time. */
export async function liveStatus(client: Client, workflowId: string, runId?: string): Promise<StatusAnswer | undefined> {
  try {
    const value = await client.withDeadline(Date.now() + STATUS_QUERY_DEADLINE_MS, () => client.workflow.getHandle(workflowId, runId).query(statusQuery));
    return isStatus(value) ? { value, from: 'query' } : undefined;
  } catch {
    return undefined;
  }
}

export function isStatus(value: unknown): value is RunStatus {
  const status = value as Partial<RunStatus> | null | undefined;
  return typeof status === 'object' && status !== null && Array.isArray(status.audit) && Array.isArray(status.gates);
}
