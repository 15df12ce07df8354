import { approveUpdate, interveneUpdate, rejectUpdate, type InterventionAction } from '../../workflows/kit';
import { commonOptions, type Command } from '../command';
import { usageError } from '../errors';
import { explain, runHandle } from '../runs';

function requireRunId(positionals: string[], command: string): string {
  const runId = positionals[0];
  if (!runId) throw usageError('name the run', `lifeboat ${command} region-failover/booking (see lifeboat list)`);
  return runId;
}

function gateCommand(decision: 'approve' | 'reject'): Command {
  return {
    name: decision,
    summary: decision === 'approve' ? 'Approve the open gate of a run' : 'Reject the open gate of a run (one rejection aborts it)',
    usage: `lifeboat ${decision} <run-id> [--gate NAME] [--comment TEXT] [--as USER] [--json]`,
    options: { ...commonOptions, gate: { type: 'string' }, comment: { type: 'string' }, as: { type: 'string' } },
    async run(ctx, { positionals, values }) {
      const runId = requireRunId(positionals, decision);
      const by = ctx.identity(values.as as string | undefined);
      const vote = { by, ...(values.comment ? { comment: values.comment as string } : {}), ...(values.gate ? { gate: values.gate as string } : {}) };
      const client = await ctx.client();
      const receipt = await runHandle(client, runId)
        .executeUpdate(decision === 'approve' ? approveUpdate : rejectUpdate, { args: [vote] })
        .catch((err: unknown) => {
          throw explain(err, runId, ctx.taskQueue);
        });
      if (ctx.json) ctx.printJson({ runId, by, decision, ...receipt });
      else {
        const verb = decision === 'approve' ? 'approved' : 'rejected';
        const state = receipt.status === 'open' ? `${receipt.approvals}/${receipt.quorum} approvals, still waiting for more` : `gate is now ${receipt.status}`;
        ctx.print(`${by} ${verb} gate ${receipt.gate} of ${runId}: ${state}`);
      }
      return 0;
    },
  };
}

function operatorCommand(action: InterventionAction, summary: string): Command {
  return {
    name: action,
    summary,
    usage: `lifeboat ${action} <run-id> [--reason TEXT] [--as USER] [--json]`,
    options: { ...commonOptions, reason: { type: 'string' }, as: { type: 'string' } },
    async run(ctx, { positionals, values }) {
      const runId = requireRunId(positionals, action);
      const by = ctx.identity(values.as as string | undefined);
      const client = await ctx.client();
      const receipt = await runHandle(client, runId)
        .executeUpdate(interveneUpdate, { args: [{ action, by, ...(values.reason ? { reason: values.reason as string } : {}) }] })
        .catch((err: unknown) => {
          throw explain(err, runId, ctx.taskQueue);
        });
      if (ctx.json) ctx.printJson({ runId, by, ...receipt });
      else if (action === 'abort') ctx.print(`${by} aborted ${runId}; it stops after the current step and runs its undos`);
      else ctx.print(`${by} chose ${action} for step ${receipt.step} of ${runId}`);
      return 0;
    },
  };
}

export const approveCommand = gateCommand('approve');
export const rejectCommand = gateCommand('reject');
export const retryCommand = operatorCommand('retry', 'Retry the step a run is stuck on');
export const skipCommand = operatorCommand('skip', 'Skip the step a run is stuck on, where the step allows it');
export const abortCommand = operatorCommand('abort', 'Abort a run: it stops after the current step and undoes what it did');

export const cancelCommand: Command = {
  name: 'cancel',
  summary: 'Cancel a run through Temporal (like `temporal workflow cancel`); its undos still run',
  usage: 'lifeboat cancel <run-id> [--json]',
  options: commonOptions,
  async run(ctx, { positionals }) {
    const runId = requireRunId(positionals, 'cancel');
    const client = await ctx.client();
    await runHandle(client, runId)
      .cancel()
      .catch((err: unknown) => {
        throw explain(err, runId, ctx.taskQueue);
      });
    if (ctx.json) ctx.printJson({ runId, cancelRequested: true });
    else ctx.print(`cancellation of ${runId} requested; it runs its undos, then ends`);
    return 0;
  },
};
