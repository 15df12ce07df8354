import { handsOnQuery, HandsOnPageRequest, type HandsOnPage } from '../../workflows/vendor-isolation/messages';
import type { CliContext } from '../context';
import { usageError } from '../errors';
import { table } from '../render';
import { explain, runHandle } from '../runs';

/**
 * `lifeboat task list <run-id>`: every item of a run's hands-on checklist, a page at a time, for the lists longer than
 * the 500 items status carries (a 100,000-host fleet can leave thousands of hosts for people to repair).
 */
export async function listTasks(ctx: CliContext, runId: string | undefined, values: Record<string, unknown>): Promise<number> {
  if (!runId) throw usageError('name the run', 'lifeboat task list isolate-vendor-module/fleet --open');
  const status = values.open ? 'open' : (values.status as string | undefined);
  const request = HandsOnPageRequest.safeParse({
    status,
    offset: values.offset === undefined ? undefined : Number(values.offset),
    limit: values.limit === undefined ? undefined : Number(values.limit),
  });
  if (!request.success) {
    const issue = request.error.issues[0]!;
    const flag = issue.path[0] === 'status' ? '--status: say open, done or waived' : `--${String(issue.path[0])}: ${issue.message}`;
    throw usageError(flag, `lifeboat task list ${runId} --open --offset 0 --limit 200`);
  }
  const client = await ctx.client();
  let page: HandsOnPage;
  try {
    page = await runHandle(client, runId).query(handsOnQuery, request.data);
  } catch (err) {
    throw explain(err, runId, ctx.taskQueue);
  }
  if (ctx.json) {
    ctx.printJson({ runId, ...page });
    return 0;
  }
  const which = request.data.status ? `${request.data.status} ` : '';
  if (page.tasks.length === 0) {
    ctx.print(`${runId}: no ${which}hands-on items${page.offset > 0 ? ` from ${page.offset} (there are ${page.total})` : ''}`);
    return 0;
  }
  const last = page.offset + page.tasks.length;
  ctx.print(`${runId}: ${which}hands-on items ${page.offset + 1}-${last} of ${page.total}`);
  ctx.print(table([['host', 'status', 'wave', 'by', 'reason'], ...page.tasks.map((t) => [t.host, t.status, t.wave, t.by ?? '', t.comment ?? t.reason])], '  '));
  if (last < page.total)
    ctx.print(
      `next page: lifeboat task list ${runId}${values.open ? ' --open' : status ? ` --status ${status}` : ''} --offset ${last} --limit ${request.data.limit}`,
    );
  return 0;
}
