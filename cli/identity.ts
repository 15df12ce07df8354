import { existsSync, readFileSync } from 'node:fs';
import type { ConnectionSettings } from '../lib/connection';
import { demoRosterPath, talksToDemoServer } from '../dev/demo-keys';
import { normaliseId, RESERVED_ACTORS } from '../kit/trust';
import { usageError } from './errors';

/** The shape of a roster id (kit/roster.ts), which a claimed name must have once normalised. */
const rosterIdShape = /^[a-z][a-z0-9._-]{0,63}$/;

/** Characters nobody sees: controls, format characters (zero-width space, joiners, bidi marks) and separators. */
const invisible = /[\p{Cc}\p{Cf}\p{Z}]/u;

/**
 * Letters of other scripts that look like Latin ones, for the "did you mean" only: a name holding one is refused
 * whatever it maps to. Cyrillic and Greek are the ones a keyboard layout or a paste brings in.
 */
const lookalikes: Record<string, string> = {
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  һ: 'h',
  і: 'i',
  ї: 'i',
  ј: 'j',
  к: 'k',
  ӏ: 'l',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  ѕ: 's',
  т: 't',
  у: 'y',
  х: 'x',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  α: 'a',
  β: 'b',
  ε: 'e',
  η: 'n',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ω: 'w',
};

/** Where a claimed name came from, as the message names it. */
export type NameSource = '--as' | '--for' | 'LIFEBOAT_USER' | 'your login name' | 'the name to sign as';

/**
 * Why a name is not a roster id, or undefined when it is one. The workflow compares names with roster ids after
 * {@link normaliseId}, so a Cyrillic `а` or a zero-width space fails there, after the run has started; this refuses
 * it before anything starts. Case and surrounding spaces are forgiven, as the workflow forgives them; a name that
 * Unicode normalisation (NFKC) would change, or that holds a character outside ASCII, is not: it only looks like one.
 */
export function nameProblem(raw: string): string | undefined {
  const trimmed = raw.trim();
  const hidden = [...trimmed].find((c) => invisible.test(c));
  if (hidden) return hidden === ' ' ? 'it holds a space' : `it holds an invisible character (${codePoint(hidden)})`;
  if (trimmed.normalize('NFKC') !== trimmed) return `Unicode normalisation (NFKC) changes it to "${visibleName(trimmed.normalize('NFKC'))}"`;
  const foreign = [...trimmed].find((c) => c > '\x7f');
  if (foreign)
    return `it holds ${codePoint(foreign)}, which is not a Latin letter${lookalikes[foreign.toLowerCase()] ? ` (it looks like "${lookalikes[foreign.toLowerCase()]}")` : ''}`;
  const id = normaliseId(trimmed);
  if (!rosterIdShape.test(id)) return 'a roster id is a lowercase letter then up to 63 letters, digits, ".", "_" or "-"';
  if ((RESERVED_ACTORS as readonly string[]).includes(id)) return `"${id}" is reserved for the system`;
  return undefined;
}

/**
 * The roster id a person claims, checked before anything starts: its shape, and, where the CLI can read the roster
 * the workers use (`rosterIds`; without it, the shape only), that the roster lists it. Refused with exit 2, naming the
 * name as read (invisible and non-ASCII characters spelled out) and the closest roster id.
 */
export function claimedRosterId(raw: string, source: NameSource, rosterIds: (() => RosterIds | undefined) | undefined): string {
  const problem = nameProblem(raw);
  const roster = rosterIds?.();
  const id = normaliseId(raw);
  if (!problem && (!roster || roster.ids.includes(id))) return id;
  const near = closest(raw, roster?.ids);
  const why = problem ?? `the roster ${roster!.file} has no ${id}`;
  throw usageError(
    `${source} "${visibleName(raw)}" is not a roster id: ${why}`,
    `${near ? `did you mean ${near}? ` : ''}type the id as the roster spells it: ${source.startsWith('--') ? source : '--as'} ${near ?? 'alice'}${source === 'LIFEBOAT_USER' ? ' (or fix LIFEBOAT_USER)' : ''}`,
  );
}

/** The ids of a roster file, and the file, for the message. */
export interface RosterIds {
  file: string;
  ids: string[];
}

/**
 * The ids listed in a roster file, or undefined when it cannot be read: then only the shape is checked here, and the
 * worker, which reads its own roster, decides. Read loosely (any `people[].id`, at the top or one level down, as a
 * signed roster wraps it), since only the ids matter here.
 */
export function rosterIdsIn(file: string): RosterIds | undefined {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const candidates = [value, ...(isObject(value) ? Object.values(value) : [])];
  for (const candidate of candidates) {
    if (!isObject(candidate) || !Array.isArray(candidate.people)) continue;
    const ids = candidate.people.map((p: unknown) => (isObject(p) ? p.id : undefined)).filter((id): id is string => typeof id === 'string');
    if (ids.length > 0) return { file, ids };
  }
  return undefined;
}

/** The roster id a mistyped or look-alike name most likely meant, if one is close enough to suggest. */
function closest(raw: string, ids: string[] | undefined): string | undefined {
  const skeleton = [...raw.normalize('NFKC').trim().toLowerCase()]
    .filter((c) => !invisible.test(c))
    .map((c) => lookalikes[c] ?? c)
    .join('');
  if (!ids) return rosterIdShape.test(skeleton) && skeleton !== normaliseId(raw) ? skeleton : undefined;
  let best: { id: string; distance: number } | undefined;
  for (const id of ids) {
    const distance = editDistance(skeleton, id);
    if (distance <= (id.length > 3 ? 2 : 1) && (!best || distance < best.distance)) best = { id, distance };
  }
  return best?.id;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** The name with every character outside printable ASCII written as its code (`\u0430lice`, `alice\u200b`). */
export function visibleName(name: string): string {
  return [...name].map((c) => (c >= ' ' && c <= '~' && c !== '\\' ? c : codeEscape(c))).join('');
}

function codeEscape(c: string): string {
  const code = c.codePointAt(0)!;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

function codePoint(c: string): string {
  return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The roster the CLI can check a claimed name against: LIFEBOAT_ROSTER (the file the workers read, where the CLI runs
 * beside them), else the demo roster when the CLI talks to the demo's dev server. Undefined when neither can be read.
 */
export function cliRosterIds(env: NodeJS.ProcessEnv, settings: () => ConnectionSettings): RosterIds | undefined {
  if (env.LIFEBOAT_ROSTER) return rosterIdsIn(env.LIFEBOAT_ROSTER);
  const demo = demoRosterPath(env);
  return existsSync(demo) && talksToDemoServer(settings(), env) ? rosterIdsIn(demo) : undefined;
}
