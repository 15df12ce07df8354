import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { estateFootprint } from '../dev/estate/footprint';
import { estatePids, startEstate, stopEstate } from '../estate/estate';
import { ESTATE_SERVICES } from '../estate/services';
import type { Benchmark, BenchSection } from './section';

interface StartFigures {
  seconds: number;
  pssMiB: number;
  rssSumMiB: number;
  processes: number;
}

/** Starts an estate of `services` in `dir` (cold when the dir is empty, warm after a `down`), and measures it idle. */
async function timedStart(dir: string, services: readonly string[]): Promise<StartFigures> {
  const started = Date.now();
  await startEstate({ dir, services, fleetHosts: 36 });
  const seconds = (Date.now() - started) / 1000;
  // A moment to settle: PostgreSQL's background workers and the servers' first health checks.
  await new Promise((r) => setTimeout(r, 2_000));
  return { seconds, ...estateFootprint(dir) };
}

/**
 * `npm start`'s estate: a cold start of the whole airline (five services, HAProxy, Patroni with etcd, moto) against
 * booking alone, and a warm restart after `down`, measured side by side in one run, with the memory each uses once
 * up. The budget from issue 22: the whole stack up in under 30 s and under 2.5 GiB (proportional set size).
 */
export const estateStartBenchmark: Benchmark = async (ctx) => {
  const rows: string[][] = [];
  const full: StartFigures[] = [];
  const alone: StartFigures[] = [];
  for (let round = 1; round <= 2; round++) {
    for (const [label, services, into] of [
      ['booking only, cold', ['booking'], alone],
      ['all five, cold', [...ESTATE_SERVICES], full],
    ] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-estate-'));
      try {
        ctx.log(`estate start round ${round}: ${label}`);
        const cold = await timedStart(dir, services);
        into.push(cold);
        rows.push([label, String(round), cold.seconds.toFixed(1), String(cold.pssMiB), String(cold.rssSumMiB), String(cold.processes)]);
        if (services.length > 1) {
          await stopEstate(dir);
          const warm = await timedStart(dir, services);
          rows.push([
            'all five, warm (after down)',
            String(round),
            warm.seconds.toFixed(1),
            String(warm.pssMiB),
            String(warm.rssSumMiB),
            String(warm.processes),
          ]);
        }
      } finally {
        await stopEstate(dir);
        if (estatePids(dir).length) ctx.log(`estate processes left in ${dir}: ${estatePids(dir).join(', ')}`);
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const mean = (xs: StartFigures[], pick: (f: StartFigures) => number) => xs.reduce((n, f) => n + pick(f), 0) / xs.length;
  const section: BenchSection = {
    title: 'The sample estate: start time and memory (npm start brings up all five services)',
    header: ['start', 'round', 'seconds', 'PSS MiB', 'RSS summed MiB', 'processes'],
    rows,
    notes: [
      `all five against booking alone: ${(mean(full, (f) => f.seconds) / mean(alone, (f) => f.seconds)).toFixed(2)}x the start time, ` +
        `${(mean(full, (f) => f.pssMiB) / mean(alone, (f) => f.pssMiB)).toFixed(2)}x the memory`,
      `budget: under 30 s (slowest cold start of all five here: ${Math.max(...full.map((f) => f.seconds)).toFixed(1)} s) and under 2,560 MiB ` +
        `(largest here: ${Math.max(...full.map((f) => f.pssMiB))} MiB proportional, ${Math.max(...full.map((f) => f.rssSumMiB))} MiB resident summed)`,
    ],
  };
  return section;
};
