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
 * How a runbook builds the numbers (and durations) of its input: each field from its range, so the CLI and the run
 * refuse a value outside it with the same message. Runbooks describe their input as a function of this and build it
 * with {@link ranged}.
 */
export interface InputRanges {
  number(field: string, range: Range): z.ZodNumber;
  duration(field: string, range: Range<string>): z.ZodType<string>;
}

export const ranged: InputRanges = {
  number(field, range) {
    const { min, max } = range;
    const of = (n: number) => `${n}${range.unit ? ` ${n === 1 ? range.unit.replace(/s$/, '') : range.unit}` : ''}`;
    const fix = range.fix ?? `set ${field} from ${min} to ${of(max)}`;
    const number = z.number({ error: `${field} must be a number: ${fix}` });
    return (range.integer ? number.int(`${field} must be a whole number${range.unit ? ` of ${range.unit}` : ''}: ${fix}`) : number)
      .min(min, `${field} must be at least ${of(min)}: ${range.belowMin}; ${fix}`)
      .max(max, `${field} must be at most ${of(max)}: ${range.aboveMax}; ${fix}`);
  },
  duration(field, range) {
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

function durationMs(text: string): number | undefined {
  try {
    const ms = msToNumber(text as Parameters<typeof msToNumber>[0]);
    return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
  } catch {
    return undefined;
  }
}
