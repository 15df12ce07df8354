import type { WorkerFacts } from '../workflows/worker-facts';

/** One worker's row in `lifeboat workers`: its facts (or why it did not answer) and what is wrong with it. */
export interface WorkerRow {
  identity: string;
  facts?: WorkerFacts;
  /** Why the worker gave no facts (it did not pick up the question in time, or failed it). */
  unanswered?: string;
  /** Each thing that is wrong with this worker, in words; empty when it agrees with the others. */
  problems: string[];
}

const compared = [
  ['build', 'build', (f: WorkerFacts) => f.build],
  ['roster', 'roster digest', (f: WorkerFacts) => ('digest' in f.roster ? f.roster.digest : undefined)],
  ['targets', 'targets digest', (f: WorkerFacts) => ('digest' in f.targets ? f.targets.digest : undefined)],
  ['trustRoot', 'trust root digest', (f: WorkerFacts) => ('digest' in f.trustRoot ? f.trustRoot.digest : undefined)],
] as const;

/**
 * Flags each worker that cannot load its roster, targets file or trust root (naming why), and each whose build or
 * digests differ from the most common value among the workers that answered. When no value is most common (two workers,
 * two rosters), every worker is flagged for it: the tool cannot tell which region is right, a person must.
 */
export function compareWorkers(answers: { identity: string; facts?: WorkerFacts; unanswered?: string }[]): WorkerRow[] {
  const rows: WorkerRow[] = answers.map((a) => ({ ...a, problems: [] }));
  for (const row of rows) {
    if (!row.facts) row.problems.push(`did not answer: ${row.unanswered ?? 'no reason given'}`);
    else {
      if ('error' in row.facts.roster) row.problems.push(`roster cannot be loaded: ${row.facts.roster.error}`);
      if ('error' in row.facts.targets) row.problems.push(`targets file cannot be read: ${row.facts.targets.error}`);
      if ('error' in row.facts.trustRoot) row.problems.push(`trust root cannot be read: ${row.facts.trustRoot.error}`);
    }
  }
  for (const [, label, valueOf] of compared) {
    const counts = new Map<string, number>();
    for (const row of rows) {
      const value = row.facts && valueOf(row.facts);
      if (value) counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    if (counts.size < 2) continue;
    const top = Math.max(...counts.values());
    const majority = [...counts].filter(([, n]) => n === top);
    for (const row of rows) {
      const value = row.facts && valueOf(row.facts);
      if (!value) continue;
      if (majority.length > 1) row.problems.push(`${label} differs between workers (no majority): this one has ${short(value)}`);
      else if (value !== majority[0]![0]) row.problems.push(`${label} differs: ${short(value)} where the others have ${short(majority[0]![0])}`);
    }
  }
  return rows;
}

/** A digest short enough for a table, long enough to tell two apart. */
export function short(value: string): string {
  return value.startsWith('sha256:') ? value.slice(0, 'sha256:'.length + 12) : value;
}
