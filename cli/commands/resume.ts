import { resumeUpdate } from '../../workflows/manual-booking-messages';
import { commonOptions, type Command } from '../command';
import { usageError } from '../errors';
import { decide } from '../decide';
import { signingOptions } from '../signing';

/** `lifeboat resume`: asks a run holding in manual booking mode to start the return to normal. */
export const resumeCommand: Command = {
  name: 'resume',
  summary: 'Ask a run holding in manual booking mode to reconcile and return to normal',
  usage: 'lifeboat resume <run-id> [--comment TEXT] [--as USER] [--key FILE] [--print-statement | --statement FILE --signature FILE] [--json]',
  options: { ...commonOptions, ...signingOptions, comment: { type: 'string' }, as: { type: 'string' } },
  async run(ctx, { positionals, values }) {
    const runId = positionals[0];
    if (!runId) throw usageError('name the run', 'lifeboat resume manual-booking-mode/booking (see lifeboat list)');
    const comment = values.comment as string | undefined;
    const done = await decide(
      ctx,
      {
        runId,
        kind: 'resume',
        body: () => (comment ? { comment } : ({} as Record<string, string>)),
        update: resumeUpdate,
        submit: `lifeboat resume ${runId}`,
      },
      values,
    );
    if (!done) return 0;
    const { by, receipt } = done;
    if (ctx.json) ctx.printJson({ runId, ...receipt });
    else ctx.print(`${by} asked ${runId} to return to normal; database: ${receipt.database}\nnext: ${receipt.next}`);
    return 0;
  },
};
