import { taskUpdate } from '../../workflows/vendor-isolation/messages';
import { commonOptions, type Command } from '../command';
import { usageError } from '../errors';
import { explain, runHandle } from '../runs';

/**
 * `lifeboat task done|waive <run-id> <host>`: closes one item of a run's hands-on checklist. Uses the `task-update`
 * update so a refusal (unknown host, already closed, finished run) comes back at once; the `task` signal does the same
 * for the stock `temporal` CLI.
 */
export const taskCommand: Command = {
  name: 'task',
  summary: 'Mark a hands-on host of a run repaired (done) or waive it with a reason',
  usage: 'lifeboat task done|waive <run-id> <host> [--reason TEXT] [--as USER] [--json]',
  options: { ...commonOptions, reason: { type: 'string' }, as: { type: 'string' } },
  async run(ctx, { positionals, values }) {
    const [action, runId, host] = positionals;
    if (action !== 'done' && action !== 'waive') throw usageError(`say done or waive, not ${action ?? 'nothing'}`, 'lifeboat task done isolate-vendor-module/fleet a-kiosk-05');
    if (!runId || !host) throw usageError('name the run and the host', `lifeboat task ${action} isolate-vendor-module/fleet a-kiosk-05 (see lifeboat status <run-id>)`);
    const reason = values.reason as string | undefined;
    if (action === 'waive' && !reason?.trim()) throw usageError('a waiver needs a reason', `lifeboat task waive ${runId} ${host} --reason "kiosk retired"`);
    const by = ctx.identity(values.as as string | undefined);
    const client = await ctx.client();
    const receipt = await runHandle(client, runId)
      .executeUpdate(taskUpdate, { args: [{ action, host, by, ...(reason ? { reason } : {}) }] })
      .catch((err: unknown) => {
        throw explain(err, runId, ctx.taskQueue);
      });
    if (ctx.json) ctx.printJson({ runId, by, ...receipt });
    else ctx.print(`${by} marked ${receipt.host} ${receipt.status} in ${runId}; ${receipt.open} host(s) still open`);
    return 0;
  },
};
