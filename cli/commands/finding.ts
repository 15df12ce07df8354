import { WorkflowUpdateFailedError } from '@temporalio/client';
import { closeFindingUpdate, type CloseBody } from '../../lib/findings/messages';
import { FIX, findingsWorkflowId } from '../../lib/findings/names';
import { terminalSafeJson } from '../../lib/terminal-text';
import { commonOptions, type Command } from '../command';
import { CliError, usageError } from '../errors';
import { allFindings } from '../../lib/findings/read-findings';
import { proofRun } from '../findings/proof-run';
import { newStatement, printStatementIfAsked, signed, signingOptions } from '../signing';

/**
 * `lifeboat finding close F-12`: a signed decision, checked by the findings workflow that holds the finding: the signer
 * must have the runbook's operator role, and the proof must be a later passing drill of the same runbook and target
 * (which the workflow reads from Temporal itself) or a risk acceptance signed by a member of a roster risk group.
 */
export const findingCommand: Command = {
  name: 'finding',
  summary: 'Close an audit finding (signed): with a later passing drill as proof, or as an accepted risk',
  usage:
    'lifeboat finding close <F-n> --comment TEXT (--proof <drill run id> | --accept-risk) [--as USER] [--runbook R --target T] [--key FILE] [--print-statement | --statement FILE --signature FILE] [--json]',
  options: {
    ...commonOptions,
    ...signingOptions,
    as: { type: 'string' },
    comment: { type: 'string' },
    proof: { type: 'string' },
    'accept-risk': { type: 'boolean' },
    runbook: { type: 'string' },
    target: { type: 'string' },
  },
  async run(ctx, { positionals, values }) {
    const [action, id] = positionals;
    if (action !== 'close' || !id)
      throw usageError('name what to do and the finding', 'lifeboat finding close F-12 --comment "..." --proof region-failover/booking');
    if (!/^F-[0-9]{1,9}$/.test(id)) throw usageError(`${id} is not a finding ID`, 'finding IDs look like F-12 (see lifeboat findings)');
    const comment = (values.comment as string | undefined)?.trim();
    if (!comment) throw usageError('a close says what was done', 'pass --comment "standby disk resized, see change 4711"');
    const proof = values.proof as string | undefined;
    const acceptRisk = Boolean(values['accept-risk']);
    if (proof && acceptRisk) throw usageError('--proof and --accept-risk exclude each other', 'choose one');
    if (!proof && !acceptRisk)
      throw new CliError(`${id} cannot be closed without proof`, {
        code: 'no-proof',
        suggestion:
          'pass --proof <run id of a later passing drill of the same runbook and target>, or --accept-risk if a member of a risk acceptance group accepts it',
      });
    const claimed = ctx.identity(values.as as string | undefined);
    const client = await ctx.client();
    const views = await allFindings(client, ctx.taskQueue, {
      ...(values.runbook ? { runbook: values.runbook as string } : {}),
      ...(values.target ? { target: values.target as string } : {}),
    });
    const view = views.find((v) => v.findings.some((f) => f.id === id));
    if (!view) throw new CliError(`no finding ${id}`, { code: 'not-found', suggestion: 'see lifeboat findings for the findings there are' });
    const drill = proof ? await proofRun(client, proof) : undefined;
    const body: CloseBody = {
      action: 'close-finding',
      finding: id,
      comment,
      proof: drill ? 'drill' : 'accept-risk',
      ...(drill ? { drill: drill.workflowId, drillRun: drill.temporalRunId } : {}),
    };
    const statement = newStatement('resolve', view.identity, claimed, body);
    if (printStatementIfAsked(ctx, statement, values, `lifeboat finding close ${id}`)) return 0;
    const message = await signed(ctx, statement, values);
    const closed = await client.workflow
      .getHandle(findingsWorkflowId(view.runbook, view.target))
      .executeUpdate(closeFindingUpdate, { args: [message] })
      .catch((err: unknown) => {
        if (!(err instanceof WorkflowUpdateFailedError)) throw err;
        const [problem, fix] = ((err.cause as Error | undefined)?.message ?? err.message).split(FIX);
        throw new CliError(problem!, { code: 'refused', ...(fix ? { suggestion: fix } : {}) });
      });
    if (ctx.json) ctx.print(terminalSafeJson(closed, 2));
    else {
      const how =
        closed.closed?.proof.kind === 'passing-drill'
          ? `drill ${closed.closed.proof.runId} passed at ${closed.closed.proof.finishedAt}`
          : `risk accepted as ${closed.closed?.proof.kind === 'risk-accepted' ? closed.closed.proof.group : ''}`;
      ctx.print(`${id} closed by ${closed.closed?.by}: ${how}`);
    }
    return 0;
  },
};
