import type { ChaosRunRecord } from './run-one';

/**
 * The soak's table: runs, faults injected by kind, invariant violations, how each run ended, and per scenario the
 * worst RTO under faults against its fault-free run in the same world.
 */
export function summaryTable(records: ChaosRunRecord[], baseline: Map<string, number>): string {
  const faulted = records.filter((r) => r.schedule.length > 0);
  const byKind = new Map<string, { drawn: number; fired: number }>();
  for (const r of faulted) {
    for (const f of r.fired) {
      const k = byKind.get(f.kind) ?? { drawn: 0, fired: 0 };
      if (!f.skipped) k.fired++;
      byKind.set(f.kind, k);
    }
  }
  const ends = new Map<string, number>();
  for (const r of records) {
    const end = r.ended.startsWith('waiting for an operator')
      ? 'waiting for an operator (with a reason)'
      : r.ended.startsWith('runner error')
        ? 'runner error'
        : r.ended;
    ends.set(end, (ends.get(end) ?? 0) + 1);
  }
  const violations = records.reduce((n, r) => n + r.violations.length, 0);
  const lines = [
    '| measure | value |',
    '| --- | --- |',
    `| runs | ${records.length} (${faulted.length} with faults, ${records.length - faulted.length} fault-free) |`,
    `| faults injected | ${faulted.reduce((n, r) => n + r.fired.filter((f) => !f.skipped).length, 0)} |`,
    ...[...byKind.entries()].sort().map(([kind, k]) => `| - ${kind} | ${k.fired} |`),
    `| invariant violations | ${violations} |`,
    ...[...ends.entries()].sort().map(([end, n]) => `| ended ${end} | ${n} |`),
  ];
  const scenarios = [...new Set(records.map((r) => r.scenario))].sort();
  const rto = [
    '',
    '| scenario | runs | fault-free RTO | worst RTO under faults | ratio |',
    '| --- | --- | --- | --- | --- |',
    ...scenarios.map((s) => {
      const runs = faulted.filter((r) => r.scenario === s && r.rtoSeconds !== undefined && r.ended === 'succeeded');
      const worst = runs.length ? Math.max(...runs.map((r) => r.rtoSeconds!)) : undefined;
      const base = baseline.get(s);
      const ratio = worst !== undefined && base ? `${(worst / base).toFixed(2)}x` : '-';
      return `| ${s} | ${records.filter((r) => r.scenario === s).length} | ${base !== undefined ? `${base} s` : '-'} | ${worst !== undefined ? `${worst} s` : '-'} | ${ratio} |`;
    }),
  ];
  return [...lines, ...rto].join('\n');
}

/** A violation as the runner prints it: everything needed to reproduce and to see it broken. */
export function describeViolations(r: ChaosRunRecord): string {
  return [
    `VIOLATION in seed ${r.seed} (${r.scenario}${r.runId ? `, run ${r.runId}` : ''}): replay with npm run chaos -- --seed ${r.seed} --runbook ${r.scenario}`,
    `  schedule: ${r.schedule.length ? r.schedule.join('; ') : 'no faults'}`,
    `  people: ${JSON.stringify(r.people)}`,
    `  ended: ${r.ended}`,
    ...r.violations.map((v) => `  broken: ${v.invariant}\n    evidence: ${v.evidence}`),
  ].join('\n');
}
