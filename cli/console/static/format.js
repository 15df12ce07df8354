// @ts-check
// How the console writes times, durations, errors and run addresses, the same on every page.

/**
 * The console's address of a run; each part of the workflow ID is encoded, so no ID can leave the /run/ path.
 * @param {string} runId
 */
export function runHref(runId) {
  return `/run/${String(runId).split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * A date and time in the reader's own zone, or `-` when there is none.
 * @param {string | null | undefined} iso
 */
export function when(iso) {
  if (!iso) return '-';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

/**
 * The time of day, for rows of one run (the full time is in the cell's title).
 * @param {string} iso
 */
export function clock(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleTimeString();
}

/**
 * A duration in seconds with one decimal, or `-` when it was not measured.
 * @param {number | null | undefined} ms
 */
export function seconds(ms) {
  return ms === undefined || ms === null ? '-' : `${(ms / 1000).toFixed(1)}s`;
}

/**
 * What went wrong, in words, whatever was thrown.
 * @param {unknown} err
 */
export function messageOf(err) {
  return (err instanceof Error && err.message) || String(err);
}
