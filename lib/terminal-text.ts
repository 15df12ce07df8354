import { inspect } from 'node:util';
import type { LogEntry } from '@temporalio/worker';

/*
 * Much of what Lifeboat prints was typed by someone else: a vote's comment, an operator's reason, a claimed `--as`
 * name, an incident id, an error a system sent back. A control character in it would reach the reader's terminal
 * as a command (clear the screen, set the window title, move the cursor, hide a link), and a bidi override would
 * reorder what the reader sees. These helpers turn each such character into visible text (`\x1b`, `\u202e`), so
 * the output stays inert and an auditor still sees that something was there.
 */

/** C0 controls except tab and newline, DEL, C1 controls, bidi marks, embeddings, overrides and isolates, and the Unicode line and paragraph separators. */
const unsafe = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same, plus tab and newline: for text that must stay on one line, such as a table cell. */
const unsafeInLine = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw but a terminal may still act on. */
const unsafeInJson = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const shortEscapes: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };

function escaped(c: string): string {
  const code = c.charCodeAt(0);
  return shortEscapes[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** The text with every terminal control character shown as an escape; newlines and tabs are kept. */
export function visibleText(text: string): string {
  return text.replace(unsafe, escaped);
}

/** The text on one line: like `visibleText`, and newlines and tabs are shown as `\n` and `\t` too. */
export function visibleLine(text: string): string {
  return text.replace(unsafeInLine, escaped);
}

/**
 * A copy of a value (a run's status, a report) whose every string, and every key, is passed through `visibleText`
 * (keys through `visibleLine`). Renderers call it once on what they are given, so no field can be forgotten.
 */
export function visibleFields<T>(value: T): T {
  if (typeof value === 'string') return visibleText(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => visibleFields(v)) as T;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [visibleLine(k), visibleFields(v)])) as T;
  }
  return value;
}

/**
 * JSON for a terminal or a script. JSON.stringify escapes C0 controls but leaves DEL, C1 controls and bidi
 * overrides raw; this escapes them as `\uXXXX` too, which any JSON reader decodes to the same data.
 */
export function terminalSafeJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(unsafeInJson, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A log function for the worker's `DefaultLogger` that writes what the default one writes (time, level, message,
 * fields) with control characters made visible. Activity failures are logged with their message and stack, and
 * those may carry text from outside.
 */
export function visibleLogFunction(write: (line: string) => void = (line) => process.stderr.write(line)): (entry: LogEntry) => void {
  return (entry) => {
    const at = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
    const meta = entry.meta === undefined ? '' : ` ${inspect(entry.meta, { breakLength: Infinity, depth: 6 })}`;
    write(`${at} [${entry.level}] ${visibleLine(entry.message)}${visibleText(meta)}\n`);
  };
}
