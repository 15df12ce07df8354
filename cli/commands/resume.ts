import { resumeUpdate } from '../../workflows/manual-booking-messages';
import { commonOptions, type Command } from '../command';
import { usageError } from '../errors';
import { explain, runHandle } from '../runs';

/** `lifeboat resume`: asks a run holding in manual booking mode to start the return to normal. */
export const resumeCommand: Command = {
  name: 'resume',
  summary: 'Ask a run holding in manual booking mode to reconcile and return to normal',
  usage: 'lifeboat resume <run-id> [--comment TEXT] [--as USER] [--json]',
  options: { ...commonOptions, comment: { type: 'string' }, as: { type: 'string' } },
  async run(ctx, { positionals, values }) {
    const runId = positionals[0];
    if (!runId) throw usageError('name the run', 'lifeboat resume manual-booking-mode/booking (see lifeboat list)');
    const by = ctx.identity(values.as as string | undefined);
    const client = await ctx.client();
    const receipt = await runHandle(client, runId)
      .executeUpdate(resumeUpdate, { args: [{ by, ...(values.comment ? { comment: values.comment as string } : {}) }] })
      .catch((err: unknown) => {
        throw explain(err, runId, ctx.taskQueue);
      });
    if (ctx.json) ctx.printJson({ runId, ...receipt });
    else ctx.print(`${by} asked ${runId} to return to normal; database: ${receipt.database}\nnext: ${receipt.next}`);
    return 0;
  },
};
