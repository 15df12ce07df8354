/** The small writers every part of the pack's HTML shares: escaping, and how times and durations read. */

/** Text made safe for HTML, in an element or a quoted attribute: every value from the archive goes through here. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A duration in seconds as a person reads it: `42 s`, `14 min 5 s`, `1 h 30 min`. */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined) return '—';
  const sign = seconds < 0 ? '−' : '';
  const s = Math.abs(seconds);
  if (s < 60) return `${sign}${Math.round(s * 10) / 10} s`;
  const whole = Math.round(s);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  if (h > 0) return `${sign}${h} h${m > 0 ? ` ${m} min` : ''}`;
  return `${sign}${m} min${rest > 0 ? ` ${rest} s` : ''}`;
}

/** An ISO time as `2026-04-10 03:15 UTC`: minutes are what an auditor compares, and the zone is always said. */
export function when(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  return `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** An ISO time's date only. */
export function day(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : new Date(time).toISOString().slice(0, 10);
}

/** `1 test`, `2 tests`. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A table from already-escaped cells; an empty body says so in words, so an empty table is never mistaken for a cut one. */
export function table(head: readonly string[], rows: readonly string[][], empty: string, cls = ''): string {
  const body =
    rows.length === 0
      ? `<tr><td class="empty" colspan="${head.length}">${esc(empty)}</td></tr>`
      : rows.map((cells) => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}>\n<thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** A pass/fail (or ok/not ok) mark: the word carries the meaning, the colour only helps. */
export function mark(good: boolean, yes: string, no: string): string {
  return `<span class="${good ? 'good' : 'bad'}">${esc(good ? yes : no)}</span>`;
}
