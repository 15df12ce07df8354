import { existsSync, readFileSync } from 'node:fs';
import { estatePids } from '../../estate/estate';

/** The memory the estate's processes use, as Linux accounts it, and how many processes that is. */
export interface EstateFootprint {
  processes: number;
  /**
   * Proportional set size summed (`Pss` in `/proc/<pid>/smaps_rollup`): each shared page counted once, split among the
   * processes sharing it, so the sum is what the estate really takes. This is the figure the 2.5 GiB budget is about.
   */
  pssMiB: number;
  /** Resident set size summed: counts shared memory (PostgreSQL's shared buffers, libraries) once per process, so it overstates. */
  rssSumMiB: number;
}

/** A process's children, read from `/proc/<pid>/task/<tid>/children` (empty when the kernel does not say). */
function childrenOf(pid: number): number[] {
  const tasks = `/proc/${pid}/task`;
  if (!existsSync(tasks)) return [];
  try {
    return readFileSync(`${tasks}/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function rollup(pid: number): { pss: number; rss: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return { pss: kib('Pss'), rss: kib('Rss') };
  } catch {
    return undefined; // gone, or not ours to read
  }
}

/**
 * Every process the estate runs (recorded servers, postmasters, Patroni, etcd, moto) and all their descendants
 * (PostgreSQL's backends and background workers), with their memory summed. Linux only: it reads `/proc`.
 */
export function estateFootprint(dir: string): EstateFootprint {
  const seen = new Set<number>();
  const visit = (pid: number) => {
    if (seen.has(pid)) return;
    seen.add(pid);
    for (const child of childrenOf(pid)) visit(child);
  };
  for (const pid of estatePids(dir)) visit(pid);
  let pss = 0;
  let rss = 0;
  let processes = 0;
  for (const pid of seen) {
    const r = rollup(pid);
    if (!r) continue;
    pss += r.pss;
    rss += r.rss;
    processes++;
  }
  return { processes, pssMiB: Math.round(pss / 1024), rssSumMiB: Math.round(rss / 1024) };
}
