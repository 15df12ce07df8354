import type { ReadBundle, ManifestFields, ReportFile } from './bundle-files';
import type { DefinitionRecord } from './definition-record';
import type { PackForecast, PackMember, PackObjectiveResult, PackTest } from './types';

/**
 * One test as the pack shows it, from its bundle: the scenarios and objectives it was held to (the bundle's own
 * definition.json, else today's catalog), what it achieved (its report), and pass or fail with why. A test fails when
 * it did not succeed, a drill problem was recorded, an objective was missed or not measured, its report is missing,
 * or its bundle does not verify: an examiner cannot accept a pass the archive cannot back.
 */
export function testRecord(bundle: ReadBundle & { manifest: ManifestFields }, catalogEntry: DefinitionRecord | undefined, verified: boolean): PackTest {
  const { manifest, report } = bundle;
  const definition = bundle.definition ?? catalogEntry;
  const state = report?.state ?? manifest.state ?? 'unknown';
  const objectives = objectiveResults(report, definition);
  const test: PackTest = {
    key: bundle.key,
    runId: manifest.runId,
    target: manifest.target,
    drill: manifest.drill === true,
    state,
    startedAt: manifest.startedAt ?? manifest.finishedAt,
    finishedAt: manifest.finishedAt,
    scenarios: [...(definition?.scenarios ?? [])].sort(),
    definitionFrom: bundle.definition ? 'bundle' : catalogEntry ? 'catalog' : 'none',
    objectives,
    ...(report?.measurements?.rtoSeconds !== undefined ? { rtoSeconds: report.measurements.rtoSeconds } : {}),
    ...(report?.measurements?.rpoSeconds !== undefined ? { rpoSeconds: report.measurements.rpoSeconds } : {}),
    result: 'pass',
    why: [],
    verified,
  };
  const forecast = forecastOf(report);
  if (forecast) test.forecast = forecast;
  const members = membersOf(report) ?? membersFromRuns(bundle.memberRuns);
  if (members) test.members = members;
  test.why = failures(test, report);
  test.result = test.why.length === 0 ? 'pass' : 'fail';
  return test;
}

function objectiveResults(report: ReportFile | undefined, definition: DefinitionRecord | undefined): PackObjectiveResult[] {
  if (report?.objectives)
    return report.objectives.map((o) => ({
      objective: o.objective,
      targetSeconds: o.targetSeconds,
      ...(o.measuredSeconds !== undefined ? { achievedSeconds: o.measuredSeconds } : {}),
      met: o.met,
      ...(o.countedFrom ? { countedFrom: o.countedFrom } : {}),
    }));
  // No report to say what was achieved: the objectives are listed, unmet, so the gap shows.
  const targets = definition?.objectives ?? {};
  return (['rto', 'rpo'] as const).flatMap((objective) => {
    const targetSeconds = objective === 'rto' ? targets.rtoSeconds : targets.rpoSeconds;
    return targetSeconds === undefined ? [] : [{ objective, targetSeconds, met: false }];
  });
}

function failures(test: PackTest, report: ReportFile | undefined): string[] {
  const why: string[] = [];
  if (!test.verified) why.push('its bundle does not verify (see Integrity)');
  if (!report) why.push('its bundle holds no readable report.json, so what it achieved cannot be judged from the archive');
  if (test.state !== 'succeeded') why.push(`the run ended ${test.state}`);
  // The drill's own verdict, less what this list says already (its state and its objectives, judged below).
  for (const problem of report?.drillProblems ?? []) if (!/^(the run ended |RTO |RPO )/.test(problem)) why.push(problem);
  for (const o of test.objectives) {
    if (o.met || !report) continue;
    const name = o.objective.toUpperCase();
    why.push(
      o.achievedSeconds === undefined
        ? `${name} was not measured (objective ${o.targetSeconds} s)`
        : `${name} ${o.achievedSeconds} s missed its objective of ${o.targetSeconds} s`,
    );
  }
  return why;
}

function forecastOf(report: ReportFile | undefined): PackForecast | undefined {
  const f = report?.forecast;
  if (!f) return undefined;
  const forecast: PackForecast = {};
  if (f.medianSeconds !== undefined) forecast.medianSeconds = f.medianSeconds;
  if (f.minSeconds !== undefined) forecast.minSeconds = f.minSeconds;
  if (f.maxSeconds !== undefined) forecast.maxSeconds = f.maxSeconds;
  if (f.actualAfterDecisionSeconds !== undefined) forecast.actualSeconds = f.actualAfterDecisionSeconds;
  if (f.errorSeconds !== undefined) forecast.errorSeconds = f.errorSeconds;
  if (f.withinRange !== undefined) forecast.withinRange = f.withinRange;
  return forecast;
}

/** A plan without a readable report still names its members' runs (`runbook/target`) in members.json. */
function membersFromRuns(runs: string[] | undefined): PackMember[] | undefined {
  if (!runs || runs.length === 0) return undefined;
  return [...new Set(runs)].sort().map((runId) => {
    const cut = runId.indexOf('/');
    return { member: runId, runbook: runId.slice(0, cut), target: runId.slice(cut + 1), state: 'unknown' };
  });
}

function membersOf(report: ReportFile | undefined): PackMember[] | undefined {
  if (report?.kind !== 'plan' || !report.members) return undefined;
  return report.members
    .map((m) => ({
      member: m.member,
      runbook: m.runbook,
      target: m.target,
      state: m.state,
      ...(m.rtoSeconds !== undefined ? { rtoSeconds: m.rtoSeconds } : {}),
    }))
    .sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
}
