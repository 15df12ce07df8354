// @ts-check
// Following a run, or the runs list, live: a server-sent event stream, or polling when the console refuses one.

/** @import { Problem } from './api.js' */

/**
 * What the page follows: one at a time, so leaving a list for a run closes the list's stream.
 * @type {{ close(): void } | undefined}
 */
let live;

/**
 * Follows a run (`run=ID`) or the list (filters) live. When the console refuses the stream (429 or 503: too many live
 * pages open), EventSource gives up for good (CLOSED), and the page polls the same API every few seconds instead.
 * @template T
 * @param {string} path The query: `run=ID`, or the list's filters.
 * @param {(update: T) => void} onUpdate
 * @param {(problem: Problem) => void} [onProblem]
 */
export function watch(path, onUpdate, onProblem) {
  if (live) live.close();
  const stream = new EventSource(`/api/events?${path}`);
  live = stream;
  /** @param {Event} e */
  const dataOf = (e) => JSON.parse(/** @type {MessageEvent<string>} */ (e).data);
  stream.addEventListener('update', (e) => onUpdate(dataOf(e)));
  stream.addEventListener('problem', (e) => onProblem && onProblem(dataOf(e)));
  stream.addEventListener('error', () => {
    if (live === stream && stream.readyState === EventSource.CLOSED) live = pollInstead(path, onUpdate, onProblem);
  });
}

/**
 * Polls what a refused stream would have sent; like the stream, it hands on only what changed, so typing is not redrawn.
 * @template T
 * @param {string} path
 * @param {(update: T) => void} onUpdate
 * @param {(problem: Problem) => void} [onProblem]
 * @returns {{ close(): void }}
 */
function pollInstead(path, onUpdate, onProblem) {
  const url = path.startsWith('run=') ? `/api/run?${path}` : `/api/runs?${path}`;
  let last = '';
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let stopped = false;
  const tick = async () => {
    try {
      const res = await fetch(url);
      const text = await res.text();
      if (!stopped && text !== last) {
        last = text;
        const body = JSON.parse(text);
        if (res.ok) onUpdate(body);
        else if (onProblem) onProblem((body && body.error) || { message: `HTTP ${res.status}` });
      }
    } catch (err) {
      if (!stopped && onProblem) onProblem({ message: `cannot reach the console: ${err instanceof Error ? err.message : String(err)}` });
    }
    if (!stopped) timer = setTimeout(() => void tick(), 3000);
  };
  void tick();
  return {
    close() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
