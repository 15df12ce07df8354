import type { RunStatus } from '../kit';
import type { RunReport } from '../cli/report/model';
import { estateProcesses } from './estate-processes';
import { drawSchedule, describeFault, type ScheduledFault } from './faults';
import { FaultInjector, type FiredFault } from './inject';
import { checkLostWrites, checkReportNumbers, checkTrafficOneRegion, startChaosLoad, watchPrimaries, type ServiceLoadMeasure } from './invariants';
import { checkDecisions } from './invariants/decisions';
import { countEffects } from './invariants/effects';
import { checkNothingTwice } from './invariants/nothing-twice';
import { checkRunOrPlanEnded, checkRunOrPlanUndo } from './invariants/plan-members';
import { snapshotForUndo } from './invariants/undo';
import { drawPeopleFaults, drivePeople, type PeopleFaults } from './people';
import { Random } from './random';
import type { Scenario } from './scenarios';
import { TEMPORAL_LINK, type ChaosRig } from './world';
import type { Violation } from './world-types';

/** One chaos run as the runner reports it. */
export interface ChaosRunRecord {
  seed: number;
  scenario: string;
  runId?: string;
  /** How the run ended: its state, or why the people stopped waiting for it. */
  ended: string;
  schedule: string[];
  people: PeopleFaults;
  fired: FiredFault[];
  violations: Violation[];
  /** Wall time from the start to the end of the run, in seconds. */
  wallSeconds: number;
  /** How many times the run carried itself over (continue-as-new), as its status says. */
  carriedOver?: number;
  /** The report's RTO, where the run reports one. */
  rtoSeconds?: number;
  lost?: ServiceLoadMeasure[];
}

const RUN_DEADLINE_MS = 6 * 60_000;

/**
 * One seeded run: draw the faults and the people's behaviour from the seed, start the scenario through the real CLI,
 * let the scripted people drive it while the faults fire, then heal everything and check every invariant against the
 * world and the run's own records.
 */
export async function runOne(rig: ChaosRig, scenario: Scenario, seed: number, opts: { maxFaults: number; faultFree?: boolean }): Promise<ChaosRunRecord> {
  const rng = new Random(seed);
  const steps = await stepsOf(rig, scenario);
  const schedule: ScheduledFault[] = opts.faultFree
    ? []
    : drawSchedule(rng.fork('faults'), {
        steps,
        // Sorted, so a seed draws the same targets whatever order the file system lists them in.
        processes: estateProcesses(rig.estateDir)
          .map((p) => ({ name: p.name, restartable: p.restartable }))
          .sort((a, b) => a.name.localeCompare(b.name)),
        proxies: [...rig.proxies.map((p) => p.name), TEMPORAL_LINK].sort(),
        maxFaults: opts.maxFaults,
        // Every run talks to Temporal: its link is always near.
        touches: new RegExp(`${scenario.touches.source}|^${TEMPORAL_LINK}$`),
      });
  const people = opts.faultFree
    ? { lateMs: 0, duplicate: false, raceRejection: false, replay: false }
    : drawPeopleFaults(rng.fork('people'), { maxAbortMs: 60_000 });
  const record: ChaosRunRecord = {
    seed,
    scenario: scenario.name,
    ended: 'not started',
    schedule: schedule.map(describeFault),
    people,
    fired: [],
    violations: [],
    wallSeconds: 0,
  };
  rig.log(`seed ${seed}: ${scenario.name}${schedule.length ? `; ${record.schedule.join('; ')}` : '; no faults'}; people ${JSON.stringify(people)}`);

  await scenario.prepare?.(rig);
  const before = await snapshotForUndo(rig.catalog, scenario.traffic);
  const effects = await countEffects(rig.catalog);
  const primaries = watchPrimaries(rig.catalog);
  const load = startChaosLoad(rig.catalog, scenario.writes);
  const started = Date.now();
  let status: RunStatus | undefined;
  try {
    const sets = Object.entries(scenario.sets).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
    const out = await rig.cli(['run', scenario.what, ...sets, '--json'], { as: 'alice', timeoutMs: 120_000 });
    if (out.code !== 0) throw new Error(`lifeboat run ${scenario.what} exited ${out.code}: ${(out.stderr || out.stdout).trim().slice(0, 400)}`);
    const runId = (JSON.parse(out.stdout) as { runId: string }).runId;
    record.runId = runId;
    const injector = new FaultInjector(rig, schedule, started);
    const ticking = setInterval(() => void rig.status(runId).then((s) => injector.tick(s)), 250);
    try {
      const driven = await drivePeople(rig, runId, people, {
        requester: 'alice',
        startedAt: started,
        deadline: started + RUN_DEADLINE_MS,
        healthy: () => injector.healthy(),
      });
      status = driven.status;
      record.ended = driven.gaveUp ? `waiting for an operator: ${driven.gaveUp}` : (status?.state ?? 'unknown');
    } finally {
      clearInterval(ticking);
      await injector.settle();
      record.fired = injector.fired;
    }
    record.wallSeconds = Math.round((Date.now() - started) / 100) / 10;
    if (status && record.ended.startsWith('waiting for an operator')) {
      record.violations.push(...(await checkRunOrPlanEnded(rig, status)));
      status = await abortAndWait(rig, runId, status);
    }
    await load.stop();
    record.violations.push(...(await primaries.stop()));
    if (!status) {
      record.violations.push({ invariant: 'every run ends', evidence: `${runId}: no status could be read at the end` });
      return record;
    }
    if (status.carriedOver) record.carriedOver = status.carriedOver;
    if (!record.ended.startsWith('waiting for an operator')) record.violations.push(...(await checkRunOrPlanEnded(rig, status)));
    record.violations.push(...(await checkInvariants(rig, scenario, runId, status, { before, effects, load: await load.measured() }, record)));
  } catch (err) {
    record.ended = `runner error: ${String(err).slice(0, 300)}`;
    await load.stop();
    await primaries.stop();
  }
  return record;
}

async function checkInvariants(
  rig: ChaosRig,
  scenario: Scenario,
  runId: string,
  status: RunStatus,
  seen: { before: Awaited<ReturnType<typeof snapshotForUndo>>; effects: Awaited<ReturnType<typeof countEffects>>; load: ServiceLoadMeasure[] },
  record: ChaosRunRecord,
): Promise<Violation[]> {
  const violations: Violation[] = [];
  record.lost = seen.load;
  violations.push(...(await checkTrafficOneRegion(rig.catalog, scenario.traffic)));
  violations.push(...(await checkRunOrPlanUndo(rig, seen.before, await snapshotForUndo(rig.catalog, scenario.traffic), status)));
  violations.push(...(await checkNothingTwice(rig, runId, status, seen.effects)));
  violations.push(...(await checkDecisions(rig, runId, status)));
  const report = await reportOf(rig, runId);
  if (report) {
    record.rtoSeconds = report.measurements.rtoSeconds;
    if (scenario.kind === 'runbook' && status.state === 'succeeded') violations.push(...checkReportNumbers(report, seen.load));
  }
  if (scenario.mode && status.state === 'succeeded') {
    const expectation =
      scenario.mode === 'planned'
        ? ({ mode: 'planned' } as const)
        : ({
            mode: 'emergency',
            recordedRpo: report ? [{ service: report.target, lostWrites: report.measurements.rpoWrites, seconds: report.measurements.rpoSeconds }] : [],
          } as const);
    violations.push(...checkLostWrites(seen.load, expectation));
  }
  return violations;
}

async function reportOf(rig: ChaosRig, runId: string): Promise<RunReport | undefined> {
  const out = await rig.cli(['report', runId, '--format', 'json']);
  if (out.code !== 0) return undefined;
  return JSON.parse(out.stdout) as RunReport;
}

/** The step names of a runbook or plan, from `lifeboat plan <what> --json`, so faults can be placed inside them. */
async function stepsOf(rig: ChaosRig, scenario: Scenario): Promise<string[]> {
  const out = await rig.cli(['plan', scenario.what, '--json']);
  if (out.code !== 0) return [];
  const parsed = JSON.parse(out.stdout) as { plan?: unknown; waves?: { members?: { service?: string; runbook?: string }[] }[] | unknown };
  // A runbook lists its steps; a plan's own steps are one per member, named after the member's service.
  if (Array.isArray(parsed.plan)) return (parsed.plan as { kind: string; name: string }[]).filter((s) => s.kind === 'step').map((s) => s.name);
  return (
    JSON.stringify(parsed.waves ?? [])
      .match(/"service":"[^"]+"/g)
      ?.map((m) => m.slice(11, -1)) ?? []
  );
}

/** A run the people gave up on is aborted (signed), so the world is left as its undo leaves it. */
async function abortAndWait(rig: ChaosRig, runId: string, status: RunStatus): Promise<RunStatus> {
  await rig.cli(['abort', runId, '--reason', 'chaos: the people gave up on this run'], { as: 'bob' });
  const deadline = Date.now() + 120_000;
  let last = status;
  while (Date.now() < deadline) {
    const s = await rig.status(runId);
    if (s) last = s;
    if (s && ['succeeded', 'failed', 'aborted'].includes(s.state)) return s;
    if (s?.state === 'needs-intervention') await rig.cli(['abort', runId, '--reason', 'chaos: abort'], { as: 'bob' });
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return last;
}
