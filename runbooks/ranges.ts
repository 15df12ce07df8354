import { msToNumber } from '@temporalio/common/lib/time';
import { z } from 'zod';

/**
 * The sane range of one numeric input, with why each end is where it is. A value outside it is refused by the CLI
 * before anything starts and by the workflow itself, with a message that names the field and the values to use.
 */
export interface Range<V = number> {
  min: V;
  max: V;
  /** As people read the value: "minutes", "hosts"; empty for a share or a duration. */
  unit?: string;
  integer?: boolean;
  /** Why not lower: what a smaller value would do to the run. */
  belowMin: string;
  /** Why not higher. */
  aboveMax: string;
  /** What to do instead, when "set FIELD from MIN to MAX" does not say it well. */
  fix?: string;
}

/**
 * How a runbook builds the numbers (and durations) of its input. Each runbook describes its input once, as a function
 * of this, and builds it twice: with {@link ranged} for the CLI and every new run, and with {@link asRecorded} (each
 * field as it was before ranges existed, written next to its range) for runs started before, which replay with the
 * schema they started with, so a run in flight is never refused half-way (the kit's `patched('input-ranges')`).
 */
export interface InputRanges {
  number(field: string, range: Range, recorded: z.ZodNumber): z.ZodNumber;
  duration(field: string, range: Range<string>, recorded: z.ZodType<string>): z.ZodType<string>;
}

export const ranged: InputRanges = {
  number(field, range, _recorded) {
    const { min, max } = range;
    const of = (n: number) => `${n}${range.unit ? ` ${n === 1 ? range.unit.replace(/s$/, '') : range.unit}` : ''}`;
    const fix = range.fix ?? `set ${field} from ${min} to ${of(max)}`;
    const number = z.number({ error: `${field} must be a number: ${fix}` });
    return (range.integer ? number.int(`${field} must be a whole number${range.unit ? ` of ${range.unit}` : ''}: ${fix}`) : number)
      .min(min, `${field} must be at least ${of(min)}: ${range.belowMin}; ${fix}`)
      .max(max, `${field} must be at most ${of(max)}: ${range.aboveMax}; ${fix}`);
  },
  duration(field, range, _recorded) {
    const fix = range.fix ?? `set ${field} from "${range.min}" to "${range.max}"`;
    const [min, max] = [durationMs(range.min)!, durationMs(range.max)!];
    return z
      .string({ error: `${field} must be a duration such as "${range.max}": ${fix}` })
      .max(64, `${field} is at most 64 characters: ${fix}`)
      .superRefine((text, ctx) => {
        if (text.length > 64) return; // refused above as too long
        const ms = durationMs(text);
        if (ms === undefined) ctx.addIssue({ code: 'custom', message: `${field} must be a duration such as "30 seconds", "15m" or "4 hours": ${fix}` });
        else if (ms < min) ctx.addIssue({ code: 'custom', message: `${field} must be at least ${range.min}: ${range.belowMin}; ${fix}` });
        else if (ms > max) ctx.addIssue({ code: 'custom', message: `${field} must be at most ${range.max}: ${range.aboveMax}; ${fix}` });
      });
  },
};

export const asRecorded: InputRanges = {
  number: (_field, _range, recorded) => recorded,
  duration: (_field, _range, recorded) => recorded,
};

function durationMs(text: string): number | undefined {
  try {
    const ms = msToNumber(text as Parameters<typeof msToNumber>[0]);
    return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
  } catch {
    return undefined;
  }
}
