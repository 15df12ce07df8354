import { z } from 'zod';

/**
 * The longest text a runbook input field takes unless it says why it needs more. A run's input is in its history,
 * its status and every report; a 500,000-character incident id once made a status of 501 KB, near the size past
 * which Temporal can no longer return it. 256 characters hold any id, version or name a person types.
 */
export const TEXT_MAX = 256;

/** The most items a list field of a runbook input takes unless it says why it needs more. */
export const LIST_MAX = 100;

/**
 * A text field of a runbook input, at most `max` characters, refused with the field's name and the limit, so the CLI,
 * the console and the workflow all say which field to shorten. Chain `.trim()`, `.min()` and the rest after it.
 */
export function text(field: string, max: number = TEXT_MAX): z.ZodString {
  return z.string().max(max, `${field} is at most ${max} characters; shorten it`);
}

/** A list field of a runbook input, at most `max` items, refused with the field's name and the limit. */
export function list<T extends z.ZodType>(field: string, item: T, max: number = LIST_MAX): z.ZodArray<T> {
  return z.array(item).max(max, `${field} takes at most ${max} items; name fewer`);
}
