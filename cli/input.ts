import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { visibleLine } from '../lib/terminal-text';
import { type RunbookDefinition } from '../kit';
import { retiredInputs } from '../kit/trust';
import { inputError, usageError } from './errors';

/**
 * Keys that reach an object's prototype rather than a field of it. No runbook input has them, so they are refused
 * wherever they appear: in a `--set` path, in an `--input` file, in a JSON value given to `--set`.
 */
const prototypeKeys = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Builds a runbook's raw input from `--input FILE.json` and repeated `--set key=value`.
 * Values that read as JSON (numbers, booleans, arrays) become that; anything else is a string.
 * Dotted keys nest: `--set rpo.seconds=5`. Validation is the runbook schema's job, not this one's.
 */
export function buildInput(file: string | undefined, sets: string[]): Record<string, unknown> {
  let input: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw usageError(`cannot read --input ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'pass the path of a JSON file');
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('the top level must be an object');
      input = parsed as Record<string, unknown>;
    } catch (err) {
      throw usageError(`--input ${file} is not a JSON object: ${(err as Error).message}`, 'write the input as {"field": value, ...}');
    }
    refusePrototypeKeys(input, `--input ${file}`);
  }
  for (const assignment of sets) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw usageError(`--set ${assignment} is not key=value`, 'write it as --set service=booking');
    const key = assignment.slice(0, eq);
    const path = key.split('.');
    const refused = path.find((part) => prototypeKeys.has(part));
    if (refused !== undefined) {
      throw usageError(`--set ${visibleLine(key)}: "${refused}" cannot be an input key`, 'name a field of the runbook; see lifeboat plan <runbook>');
    }
    const value = coerce(assignment.slice(eq + 1));
    refusePrototypeKeys(value, `--set ${visibleLine(key)}`);
    let target = input;
    for (const part of path.slice(0, -1)) {
      const next = Object.hasOwn(target, part) ? target[part] : undefined;
      target = (typeof next === 'object' && next !== null ? next : (target[part] = {})) as Record<string, unknown>;
    }
    target[path.at(-1)!] = value;
  }
  return input;
}

/** Refuses a prototype key anywhere in a parsed JSON value, naming where it was found. */
function refusePrototypeKeys(value: unknown, where: string, at: string[] = []): void {
  if (typeof value !== 'object' || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    if (prototypeKeys.has(key)) {
      throw usageError(`${where}: "${[...at, key].join('.')}" cannot be an input key`, 'name a field of the runbook; see lifeboat plan <runbook>');
    }
    refusePrototypeKeys(inner, where, [...at, key]);
  }
}

function coerce(raw: string): unknown {
  if (/^(true|false|null|-?\d+(\.\d+)?|\[.*\]|\{.*\})$/s.test(raw)) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

/**
 * The most a runbook's input may weigh, as JSON. Each field has its own bound in the runbook's schema; this one stops a
 * huge input before it is parsed, signed or sent, since the input is in the run's history, its status and every
 * report, and past a few MB Temporal refuses the start with no word of why.
 */
export const INPUT_MAX_BYTES = 64 * 1024;

/** Refuses an input over {@link INPUT_MAX_BYTES}, naming the limit and its largest field. */
function refuseOversizedInput(runbookId: string, raw: Record<string, unknown>): void {
  const size = Buffer.byteLength(JSON.stringify(raw));
  if (size <= INPUT_MAX_BYTES) return;
  const [largest] = Object.entries(raw)
    .map(([key, value]) => [key, Buffer.byteLength(JSON.stringify(value) ?? '')] as const)
    .sort((a, b) => b[1] - a[1]);
  throw usageError(
    `the input for ${runbookId} is ${kib(size)}, over the limit of ${kib(INPUT_MAX_BYTES)}${largest ? `; its largest field is ${visibleLine(largest[0])} (${kib(largest[1])})` : ''}`,
    'shorten it: a text field takes at most 256 characters, and the few that take more (such as a reason) say so when refused',
  );
}

function kib(bytes: number): string {
  return `${bytes < 10 * 1024 ? (bytes / 1024).toFixed(1) : Math.round(bytes / 1024).toLocaleString('en')} KiB`;
}

/**
 * Checks a runbook's input at the edge, before anything starts: a field the runbook does not know (a typo such as
 * `incidentId` for `incident`) is refused by name, since the schema would otherwise drop it without a word.
 */
export function parseRunbookInput<D extends RunbookDefinition>(runbook: D, raw: Record<string, unknown>): z.output<D['input']> {
  refuseOversizedInput(runbook.id, raw);
  const shape = (runbook.input as unknown as { shape?: Record<string, unknown> }).shape;
  if (shape) {
    const known = Object.keys(shape);
    const unknown = Object.keys(raw).filter((key) => !known.includes(key));
    const retired = unknown.find((key) => Object.hasOwn(retiredInputs, key));
    if (retired) throw usageError(`${runbook.id}: ${retiredInputs[retired]}`, `drop --set ${retired}=…; see lifeboat plan ${runbook.id} for who approves`);
    const removed = unknown.find((key) => Object.hasOwn(runbook.removedInputs ?? {}, key));
    if (removed) {
      throw usageError(
        `${runbook.id}: the input field ${removed} was removed: ${runbook.removedInputs![removed]}`,
        `drop --set ${removed}=… (and the field from any --input file); see lifeboat plan ${runbook.id}`,
      );
    }
    if (unknown.length > 0) {
      const hints = unknown.map((key) => {
        const near = known.find((k) => k.toLowerCase().startsWith(key.toLowerCase().slice(0, 4)) || key.toLowerCase().startsWith(k.toLowerCase()));
        return near ? `${key} (did you mean ${near}?)` : key;
      });
      throw usageError(`${runbook.id} has no input field ${hints.join(', ')}`, `its fields are: ${known.join(', ')}; see lifeboat plan ${runbook.id}`);
    }
  }
  const parsed = runbook.input.safeParse(raw);
  if (!parsed.success) {
    throw inputError(
      `invalid input for ${runbook.id}`,
      parsed.error as z.ZodError,
      `fix the fields above with --set key=value or --input FILE.json; see lifeboat plan ${runbook.id}`,
    );
  }
  return parsed.data as z.output<D['input']>;
}
