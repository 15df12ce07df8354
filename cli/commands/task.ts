import { HOSTS_LIST_MAX, taskUpdate, type TaskReceipt } from '../../workflows/vendor-isolation/messages';
import { commonOptions, type Command } from '../command';
import type { CliContext } from '../context';
import { decide } from '../decide';
import { CliError, usageError } from '../errors';
import { signingOptions } from '../signing';
import { hostLists, hostsToClose } from '../task-hosts';
import { listTasks } from './task-list';

/**
 * `lifeboat task done|waive <run-id> <host>...`: closes items of a run's hands-on checklist. Uses the `task-update`
 * update so a refusal (unknown host, already closed, finished run) comes back at once; the `task` signal does the same
 * for the stock `temporal` CLI.
 */
export const taskCommand: Command = {
  name: 'task',
  summary: 'Mark hands-on hosts of a run repaired (done) or waive them with a reason; list the hands-on checklist',
  usage:
    'lifeboat task done|waive <run-id> <host> [<host>...] [--hosts-file FILE] [--reason TEXT] [--as USER] [--key FILE] [--print-statement | --statement FILE --signature FILE] [--json]\n' +
    '       lifeboat task list <run-id> [--open | --status open|done|waived] [--offset N] [--limit N] [--json]',
  options: {
    ...commonOptions,
    ...signingOptions,
    reason: { type: 'string' },
    as: { type: 'string' },
    'hosts-file': { type: 'string' },
    open: { type: 'boolean' },
    status: { type: 'string' },
    offset: { type: 'string' },
    limit: { type: 'string' },
  },
  async run(ctx, { positionals, values }) {
    const [action, runId, ...named] = positionals;
    if (action === 'list') return listTasks(ctx, runId, values);
    if (action !== 'done' && action !== 'waive')
      throw usageError(`say done, waive or list, not ${action ?? 'nothing'}`, 'lifeboat task done isolate-vendor-module/fleet a-kiosk-05');
    const example = `lifeboat task ${action} ${runId ?? 'isolate-vendor-module/fleet'} a-kiosk-05 [more hosts] [--hosts-file repaired.txt] (see lifeboat task list <run-id> --open)`;
    if (!runId) throw usageError('name the run and the host', example);
    const hosts = hostsToClose(named, values['hosts-file'] as string | undefined, example);
    const reason = values.reason as string | undefined;
    if (action === 'waive' && !reason?.trim()) throw usageError('a waiver needs a reason', `lifeboat task waive ${runId} ${hosts[0]} --reason "kiosk retired"`);
    if (hosts.length === 1 && values['hosts-file'] === undefined) {
      const done = await sendTask(
        ctx,
        runId,
        { action, host: hosts[0]!, ...(reason ? { reason } : {}) },
        `lifeboat task ${action} ${runId} ${hosts[0]}`,
        values,
      );
      if (!done) return 0;
      const { by, receipt } = done;
      if (ctx.json) ctx.printJson({ runId, by, ...receipt });
      else ctx.print(`${by} marked ${receipt.host} ${receipt.status} in ${runId}; ${receipt.open} host(s) still open`);
      return 0;
    }
    return closeMany(ctx, { runId, action, hosts, reason }, values);
  },
};

/** One task decision, signed as the user and sent as the `task-update` update. */
function sendTask(ctx: CliContext, runId: string, body: Record<string, string>, submit: string, values: Record<string, unknown>) {
  return decide<TaskReceipt>(ctx, { runId, kind: 'task', body: () => body, update: taskUpdate, submit }, values);
}

/**
 * Several hosts: one signed decision per list that fits a statement (about 150 kiosk names), each counting for all
 * its hosts or none. A refusal stops there and says which hosts already counted.
 */
async function closeMany(
  ctx: CliContext,
  request: { runId: string; action: 'done' | 'waive'; hosts: string[]; reason: string | undefined },
  values: Record<string, unknown>,
): Promise<number> {
  const { runId, action, reason } = request;
  const lists = hostLists(request.hosts);
  if (lists.length > 1 && (values['print-statement'] || values.statement))
    throw usageError(
      `${request.hosts.length} hosts need ${lists.length} signed statements; signing elsewhere takes one list of at most ${HOSTS_LIST_MAX} characters`,
      `split the list, or sign here: lifeboat task ${action} ${runId} --hosts-file FILE --as <you>`,
    );
  const closed: string[] = [];
  let last: { by: string; receipt: TaskReceipt } | undefined;
  for (const list of lists) {
    try {
      const body = { action, hosts: list.join(','), ...(reason ? { reason } : {}) };
      const done = await sendTask(ctx, runId, body, `lifeboat task ${action} ${runId} --hosts-file FILE`, values);
      if (!done) return 0;
      last = done;
      closed.push(...list);
    } catch (err) {
      if (closed.length === 0 || !(err instanceof CliError)) throw err;
      const counted = `${closed.length} of ${request.hosts.length} hosts were marked ${action === 'done' ? 'done' : 'waived'} by the decisions before this one`;
      throw new CliError(`${err.message}; ${counted}`, {
        code: err.code,
        exitCode: err.exitCode,
        suggestion: `see what is still open: lifeboat task list ${runId} --open`,
      });
    }
  }
  const { by, receipt } = last!;
  if (ctx.json) ctx.printJson({ runId, by, hosts: closed, status: receipt.status, open: receipt.open, decisions: lists.length });
  else
    ctx.print(
      `${by} marked ${closed.length} hosts ${receipt.status} in ${runId} (${lists.length} signed decision${lists.length > 1 ? 's' : ''}); ${receipt.open} host(s) still open`,
    );
  return 0;
}
