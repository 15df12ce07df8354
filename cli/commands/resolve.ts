import { ResolveRequest, resolveUpdate } from '../../workflows/manual-booking-messages';
import { commonOptions, type Command } from '../command';
import { inputError, usageError } from '../errors';
import { decide } from '../decide';
import { signingOptions } from '../signing';

const keeps = { database: 'keep-database', ledger: 'keep-ledger', both: 'keep-both' } as const;

/** `lifeboat resolve`: decides a reconciliation conflict, or applies a rule to the open ones; the decider is recorded. */
export const resolveCommand: Command = {
  name: 'resolve',
  summary: 'Decide a reconciliation conflict of a manual booking run (--keep, --discard or --rule earliest-wins)',
  usage:
    'lifeboat resolve <run-id> [<conflict-id>] (--keep database|ledger|both | --discard | --rule earliest-wins) [--comment TEXT] [--as USER] [--key FILE] [--print-statement | --statement FILE --signature FILE] [--json]',
  options: {
    ...commonOptions,
    ...signingOptions,
    keep: { type: 'string' },
    discard: { type: 'boolean' },
    rule: { type: 'string' },
    comment: { type: 'string' },
    as: { type: 'string' },
  },
  async run(ctx, { positionals, values }) {
    const [runId, conflict] = positionals;
    if (!runId) throw usageError('name the run', 'lifeboat resolve manual-booking-mode/booking c1 --keep database (see lifeboat status)');
    const keep = values.keep as string | undefined;
    if (keep !== undefined && !(keep in keeps))
      throw usageError(`--keep ${keep} is not one of database, ledger, both`, 'use --keep database, --keep ledger or --keep both');
    if (keep !== undefined && values.discard) throw usageError('--keep and --discard exclude each other', 'choose one decision');
    const decision = keep !== undefined ? keeps[keep as keyof typeof keeps] : values.discard ? 'discard' : undefined;
    const parsed = ResolveRequest.safeParse({
      by: ctx.identity(values.as as string | undefined),
      ...(conflict ? { conflict } : {}),
      ...(decision ? { decision } : {}),
      ...(values.rule !== undefined ? { rule: values.rule } : {}),
      ...(values.comment ? { comment: values.comment } : {}),
    });
    if (!parsed.success) throw inputError('invalid decision', parsed.error, `usage: ${resolveCommand.usage}`);
    const { by: claimed, ...body } = parsed.data;
    const done = await decide(ctx, { runId, kind: 'resolve', body: () => body, update: resolveUpdate, submit: `lifeboat resolve ${runId}` }, values);
    if (!done) return 0;
    const { by, receipt } = done;
    if (ctx.json) ctx.printJson({ runId, by: by ?? claimed, ...receipt });
    else
      ctx.print(
        `${by} decided ${receipt.resolved.map((r) => `${r.id}: ${r.decision}`).join(', ')}; ${receipt.open} conflict${receipt.open === 1 ? '' : 's'} still open`,
      );
    return 0;
  },
};
