import { taskUpdate } from '../../workflows/vendor-isolation/messages';
import { commonOptions, type Command } from '../command';
import { usageError } from '../errors';
import { decide } from '../decide';
import { signingOptions } from '../signing';
import { listTasks } from './task-list';

/**
 * `lifeboat task done|waive <run-id> <host>`: closes one item of a run's hands-on checklist. Uses the `task-update`
 * update so a refusal (unknown host, already closed, finished run) comes back at once; the `task` signal does the same
 * for the stock `temporal` CLI.
 */
export const taskCommand: Command = {
  name: 'task',
  summary: 'Mark a hands-on host of a run repaired (done) or waive it with a reason; list the hands-on checklist',
  usage:
    'lifeboat task done|waive <run-id> <host> [--reason TEXT] [--as USER] [--key FILE] [--print-statement | --statement FILE --signature FILE] [--json]\n' +
    '       lifeboat task list <run-id> [--open | --status open|done|waived] [--offset N] [--limit N] [--json]',
  options: {
    ...commonOptions,
    ...signingOptions,
    reason: { type: 'string' },
    as: { type: 'string' },
    open: { type: 'boolean' },
    status: { type: 'string' },
    offset: { type: 'string' },
    limit: { type: 'string' },
  },
  async run(ctx, { positionals, values }) {
    const [action, runId, host] = positionals;
    if (action === 'list') return listTasks(ctx, runId, values);
    if (action !== 'done' && action !== 'waive')
      throw usageError(`say done, waive or list, not ${action ?? 'nothing'}`, 'lifeboat task done isolate-vendor-module/fleet a-kiosk-05');
    if (!runId || !host)
      throw usageError('name the run and the host', `lifeboat task ${action} isolate-vendor-module/fleet a-kiosk-05 (see lifeboat status <run-id>)`);
    const reason = values.reason as string | undefined;
    if (action === 'waive' && !reason?.trim()) throw usageError('a waiver needs a reason', `lifeboat task waive ${runId} ${host} --reason "kiosk retired"`);
    const body = { action, host, ...(reason ? { reason } : {}) };
    const done = await decide(
      ctx,
      { runId, kind: 'task', body: () => body, update: taskUpdate, legacy: (by) => ({ ...body, by }), submit: `lifeboat task ${action} ${runId} ${host}` },
      values,
    );
    if (!done) return 0;
    const { by, receipt } = done;
    if (ctx.json) ctx.printJson({ runId, by, ...receipt });
    else ctx.print(`${by} marked ${receipt.host} ${receipt.status} in ${runId}; ${receipt.open} host(s) still open`);
    return 0;
  },
};
