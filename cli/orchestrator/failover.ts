import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowIdReusePolicy } from '@temporalio/common';
import {
  digestOf,
  ORCHESTRATOR_FAILOVER_TYPE,
  ORCHESTRATOR_NAMESPACE,
  orchestratorFailoverWorkflowId,
  Statement,
  type OrchestratorFailoverInput,
  type OrchestratorFailoverOutcome,
  type SignedDecision,
} from '../../kit/trust';
import type { CliContext } from '../context';
import { CliError, usageError } from '../errors';
import { newStatement, printStatementIfAsked, signed } from '../signing';
import type { ClusterAddress } from './clusters';

/** Long enough for the activated cluster to settle (it retries for two minutes); a run no worker took ends then. */
const FAILOVER_RUN_TIMEOUT = '3 minutes';

/** A failover as the command was asked for it. */
export interface FailoverAsked {
  /** The cluster to make active, among those the operator listed. */
  target: ClusterAddress;
  /** The global namespace to fail over. */
  namespace: string;
  /** The local namespace on the target cluster where its worker decides failovers. */
  localNamespace: string;
  values: Record<string, unknown>;
}

/** A failover made: the run that decided it, and what it returned. */
export interface FailoverDone {
  workflowId: string;
  runId: string;
  cluster: ClusterAddress;
  localNamespace: string;
  outcome: OrchestratorFailoverOutcome;
}

/** The local namespace: `--orchestrator-namespace`, LIFEBOAT_ORCHESTRATOR_NAMESPACE, or `lifeboat-orchestrator`. */
export function orchestratorNamespaceOf(values: Record<string, unknown>, env: NodeJS.ProcessEnv): string {
  return (values['orchestrator-namespace'] as string | undefined) ?? env.LIFEBOAT_ORCHESTRATOR_NAMESPACE ?? ORCHESTRATOR_NAMESPACE;
}

/**
 * Signs the failover as the user and asks the target cluster's worker to check it and make it, in the target's local
 * namespace (the global one is not active there yet, and the old active cluster may be dead). Waits for its end.
 * Returns undefined when `--print-statement` only printed the statement. A refusal is a CliError (exit 1) with why.
 */
export async function requestFailover(ctx: CliContext, asked: FailoverAsked): Promise<FailoverDone | undefined> {
  const { target, namespace, localNamespace, values } = asked;
  const request = { namespace, to: target.name };
  const decision = await signedFailover(ctx, asked, request);
  if (!decision) return undefined;
  const workflowId = workflowIdOf(decision);
  const settings = ctx.settings();
  const dataConverter = ctx.dataConverter();
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...settings.connectionOptions, address: target.address, connectTimeout: 5_000 });
  } catch (err) {
    throw new CliError(`cannot reach cluster ${target.name} at ${target.address}: ${(err as Error).message}`, {
      code: 'unreachable',
      suggestion: `a failover to ${target.name} is decided on ${target.name} itself; check that its frontend answers`,
    });
  }
  try {
    const client = new Client({ connection, namespace: localNamespace, ...(dataConverter ? { dataConverter } : {}) });
    const input: OrchestratorFailoverInput = { ...request, decision };
    const handle = await client.workflow
      .start(ORCHESTRATOR_FAILOVER_TYPE, {
        taskQueue: ctx.taskQueue,
        workflowId,
        args: [input],
        // One run per signed failover: a second start of the same statement is refused here, and by the run's claim.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        workflowExecutionTimeout: FAILOVER_RUN_TIMEOUT,
      })
      .catch((err: unknown) => {
        throw startProblem(err, workflowId, target, localNamespace);
      });
    try {
      const outcome = (await handle.result()) as OrchestratorFailoverOutcome;
      return { workflowId, runId: handle.firstExecutionRunId, cluster: target, localNamespace, outcome };
    } catch (err) {
      throw refusalOf(err, workflowId, target, ctx.taskQueue);
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/**
 * The signed failover: signed here as the user, or the statement and signature given with `--statement` and
 * `--signature` (made with `--print-statement` and `ssh-keygen -Y sign -n lifeboat`), sent as they are.
 */
async function signedFailover(ctx: CliContext, asked: FailoverAsked, request: { namespace: string; to: string }): Promise<SignedDecision | undefined> {
  const by = ctx.identity(asked.values.as as string | undefined);
  const draft = newStatement(
    'orchestrator-failover',
    { namespace: asked.localNamespace, workflowId: '-', runId: '', inputDigest: digestOf(request) },
    by,
    request,
  );
  // The run's ID carries the statement's nonce, and the statement names the run: each signed failover has its own run.
  const statement = Statement.parse({ ...draft, workflowId: orchestratorFailoverWorkflowId(request.namespace, draft.nonce) });
  const submit = `lifeboat orchestrator failover --to ${request.to}`;
  if (printStatementIfAsked(ctx, statement, asked.values, submit)) return undefined;
  return signed(ctx, statement, asked.values);
}

/** The run a signed failover names, so a statement signed elsewhere runs under the ID it was signed for. */
function workflowIdOf(decision: SignedDecision): string {
  let named: unknown;
  try {
    named = (JSON.parse(decision.statement) as { workflowId?: unknown }).workflowId;
  } catch {
    throw usageError('--statement: the file is not a statement (not JSON)', 'print one with --print-statement and sign it unchanged');
  }
  if (typeof named !== 'string' || !named.startsWith('orchestrator-failover/') || named.length > 400)
    throw usageError('--statement: the statement names no orchestrator failover', 'print one with lifeboat orchestrator failover --print-statement');
  return named;
}

function startProblem(err: unknown, workflowId: string, target: ClusterAddress, localNamespace: string): CliError {
  if (err instanceof WorkflowExecutionAlreadyStartedError)
    return new CliError(`failover refused: this signed failover was already used (run ${workflowId} on ${target.name})`, {
      code: 'refused',
      suggestion: 'sign a new one: each signed failover moves the namespace once',
    });
  const message = (err as Error).message ?? String(err);
  if (/namespace.*not found/i.test(message))
    return new CliError(`cluster ${target.name} has no namespace ${localNamespace}, where failovers are decided`, {
      code: 'no-orchestrator-namespace',
      suggestion: `temporal operator namespace create --address ${target.address} --namespace ${localNamespace} (docs/production.md, "Surviving the orchestrator's own region")`,
    });
  return new CliError(`cannot start the failover on ${target.name}: ${message}`, { code: 'failed' });
}

function refusalOf(err: unknown, workflowId: string, target: ClusterAddress, taskQueue: string): CliError {
  const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
  const audit = `its history on ${target.name} keeps why: run ${workflowId}`;
  if (cause instanceof ApplicationFailure) return new CliError(cause.message, { code: 'refused', suggestion: audit });
  if (err instanceof WorkflowFailedError && cause?.name === 'TimeoutFailure')
    return new CliError(`no worker on ${target.name} made the failover within ${FAILOVER_RUN_TIMEOUT}`, {
      code: 'no-worker',
      suggestion: `run a worker in that region polling task queue ${taskQueue} in the orchestrator's namespace; ${audit}`,
    });
  return new CliError(`the failover did not finish: ${cause?.message ?? (err as Error).message}`, { code: 'failed', suggestion: audit });
}
