import type { UpdateDefinition } from '@temporalio/client';
import type { RunStatus } from '../kit';
import type { DecisionKind, SignedDecision, Statement } from '../kit/trust';
import type { CliContext } from './context';
import { CliError } from './errors';
import { explain, readStatus, runHandle } from './runs';
import { newStatement, printStatementIfAsked, signed } from './signing';

/** One decision on a run, as a command describes it. */
export interface DecisionRequest<R> {
  runId: string;
  kind: DecisionKind;
  /** What the statement says beyond its subject; may read the run's status (the open gate, the waiting step). */
  body: (status: RunStatus) => Statement['body'];
  /** `any`: each kind of decision's update takes its own message type. */
  update: UpdateDefinition<R, [any]>;
  /** The command that submits a statement signed elsewhere, for the hint `--print-statement` prints. */
  submit: string;
}

/**
 * Signs a decision as the user and sends it as an update, so the answer (receipt or refusal) comes back at once.
 * The statement names the run as its status does (namespace, Temporal's run ID, input digest), so it can never count
 * on another run. Returns undefined when `--print-statement` only printed the statement.
 */
export async function decide<R>(
  ctx: CliContext,
  request: DecisionRequest<R>,
  values: Record<string, unknown>,
): Promise<{ by: string; receipt: R } | undefined> {
  const claimed = ctx.identity(values.as as string | undefined);
  const client = await ctx.client();
  const status = await readStatus(client, request.runId, ctx.taskQueue);
  const handle = runHandle(client, request.runId);
  const send = (message: unknown) =>
    handle.executeUpdate(request.update as UpdateDefinition<R, [unknown]>, { args: [message] }).catch((err: unknown) => {
      throw explain(err, request.runId, ctx.taskQueue);
    });
  // Every run that got past its start check shows what a statement must name; a run without it takes no decisions.
  if (!status.trust) {
    throw new CliError(`${request.runId} takes no decisions: it never started (or 0.x code started it, which 1.0 cannot run)`, {
      code: 'refused',
      suggestion: `see lifeboat status ${request.runId} for why`,
    });
  }
  const { namespace, temporalRunId, inputDigest } = status.trust;
  if (namespace !== (ctx.settings().namespace ?? namespace)) {
    throw new CliError(`the run says it is in namespace ${namespace}, not ${ctx.settings().namespace}`, { code: 'wrong-namespace' });
  }
  const statement = newStatement(request.kind, { namespace, workflowId: request.runId, runId: temporalRunId, inputDigest }, claimed, request.body(status));
  if (printStatementIfAsked(ctx, statement, values, request.submit)) return undefined;
  const message = await signed(ctx, statement, values);
  return { by: signerOf(message) ?? claimed, receipt: await send(message) };
}

function signerOf(message: SignedDecision): string | undefined {
  try {
    const by = (JSON.parse(message.statement) as { by?: unknown }).by;
    return typeof by === 'string' ? by : undefined;
  } catch {
    return undefined;
  }
}

/** The gate a vote answers: the one named, or the run's open gate. */
export function openGateOf(status: RunStatus, named: string | undefined): string {
  if (named) return named;
  const open = status.gates.find((g) => g.status === 'open');
  if (!open) throw new CliError(`no approval gate is open; the run is ${status.state}`, { code: 'refused', suggestion: `see lifeboat status ${status.runId}` });
  return open.name;
}
