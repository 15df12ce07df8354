import { approveUpdate, interveneUpdate, rejectUpdate, type InterventionAction } from '../../kit';
import { commonOptions, type Command } from '../command';
import { decide, openGateOf } from '../decide';
import { usageError } from '../errors';
import { signingOptions } from '../signing';

const signingUsage = '[--as USER] [--key FILE] [--print-statement | --statement FILE --signature FILE] [--json]';

function requireRunId(positionals: string[], command: string): string {
  const runId = positionals[0];
  if (!runId) throw usageError('name the run', `lifeboat ${command} region-failover/booking (see lifeboat list)`);
  return runId;
}

function gateCommand(decision: 'approve' | 'reject'): Command {
  return {
    name: decision,
    summary:
      decision === 'approve' ? 'Approve the open gate of a run (signed with your key)' : 'Reject the open gate of a run (signed; one rejection aborts it)',
    usage: `lifeboat ${decision} <run-id> [--gate NAME] [--comment TEXT] ${signingUsage}`,
    options: { ...commonOptions, ...signingOptions, gate: { type: 'string' }, comment: { type: 'string' }, as: { type: 'string' } },
    async run(ctx, { positionals, values }) {
      const runId = requireRunId(positionals, decision);
      const comment = values.comment as string | undefined;
      const gate = values.gate as string | undefined;
      const done = await decide(
        ctx,
        {
          runId,
          kind: decision,
          body: (status) => ({ gate: openGateOf(status, gate), ...(comment ? { comment } : {}) }),
          update: decision === 'approve' ? approveUpdate : rejectUpdate,
          submit: `lifeboat ${decision} ${runId}`,
        },
        values,
      );
      if (!done) return 0;
      const { by, receipt } = done;
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

function operatorCommand(action: InterventionAction | 'cancel', summary: string): Command {
  return {
    name: action,
    summary,
    usage: `lifeboat ${action} <run-id> [--reason TEXT] ${signingUsage}`,
    options: { ...commonOptions, ...signingOptions, reason: { type: 'string' }, as: { type: 'string' } },
    async run(ctx, { positionals, values }) {
      const runId = requireRunId(positionals, action);
      const reason = values.reason as string | undefined;
      const done = await decide(
        ctx,
        {
          runId,
          kind: action,
          body: (status) => ({
            ...(action === 'retry' || action === 'skip' ? { step: status.intervention?.step ?? status.currentStep } : {}),
            ...(reason ? { reason } : {}),
          }),
          update: interveneUpdate,
          submit: `lifeboat ${action} ${runId}`,
        },
        values,
      );
      if (!done) return 0;
      const { by, receipt } = done;
      if (ctx.json) ctx.printJson({ runId, by, ...receipt });
      else if (action === 'abort' || action === 'cancel')
        ctx.print(`${by} ${action === 'abort' ? 'aborted' : 'cancelled'} ${runId}; it stops after the current step and runs its undos`);
      else ctx.print(`${by} chose ${action} for step ${receipt.step} of ${runId}`);
      return 0;
    },
  };
}

export const approveCommand = gateCommand('approve');
export const rejectCommand = gateCommand('reject');
export const retryCommand = operatorCommand('retry', 'Retry the step a run is stuck on (signed)');
export const skipCommand = operatorCommand('skip', 'Skip the step a run is stuck on, where the step allows it (signed)');
export const abortCommand = operatorCommand('abort', 'Abort a run: it stops after the current step and undoes what it did (signed)');
export const cancelCommand = operatorCommand(
  'cancel',
  'Cancel a run (signed): like abort, it stops after the current step and runs its undos; an unsigned `temporal workflow cancel` is refused',
);
