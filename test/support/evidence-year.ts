import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planRunbookId, type DrillMode, type Objectives } from '../../kit';
import { Roster, rosterDigest, scenarioTags, type ScenarioTag } from '../../kit/trust';
import { sealBundle, type RunEvidence } from '../../lib/evidence/bundle';
import { MANIFEST_FILE, ROSTER_FILE, sha256Of } from '../../lib/evidence/manifest';
import { ROSTER_SEAL_FILE } from '../../lib/evidence/roster-anchor';
import type { ArchiveSigner } from '../../lib/evidence/seal';
import type { EvidenceStore } from '../../lib/evidence/store';
import { CLOSES_FILE } from '../../lib/findings/messages';
import { findingsChainRunbook, findingsWorkflowId } from '../../lib/findings/names';
import { FINDINGS_FILE, type AuditFinding } from '../../lib/findings/record';
import { plans } from '../../plans';
import { runbooks } from '../../runbooks';
import { YearClosers } from './evidence-year-closers';
import { YearFindings } from './evidence-year-findings';
import { recordedArchiveSigner, recordedYear } from './evidence-year-histories';
import { runFiles, type SimulatedRun } from './evidence-year-run';

/**
 * A simulated year of sealed evidence: drills and a few real runs of several runbooks, targets and a plan, archived
 * as the worker archives them (each bundle sealed by the archive signer, chained to the one before it for its
 * runbook and target). What it holds follows from a seed and a count alone, so a test and a benchmark can ask for
 * ten runs or a thousand and know what the evidence pack must then say: which runbooks were never tested, which
 * scenarios never rehearsed, where independence broke down. Each run's bundle carries a real history, a recorded run of
 * its runbook or plan on its target by its requester (evidence-year-histories.ts), so `lifeboat evidence verify` re-checks
 * its signed decisions against the bundle's roster and passes; the year must be sealed with that roster (`yearRosterIn`).
 */

/** The roster a bundle carries, and its roster admins' seal when it has one. */
export interface YearRoster {
  text: string;
  sealText?: string;
  /** Seals another roster text as this one's admins sealed it: the findings bundles' roster, which adds the closers' keys. */
  seal?: (text: string) => Promise<string>;
}

/** What the year holds that an evidence pack must report. */
export interface SimulatedYear {
  bundles: number;
  /** Runbooks and plans of the catalog with at least one run archived. */
  tested: string[];
  /** Runbooks and plans of the catalog that never ran in the year. */
  untested: string[];
  /** Scenario tags no archived run rehearsed. */
  scenariosNeverRehearsed: ScenarioTag[];
  /**
   * Each run where the people were not distinct, by bundle key: who (`nobody` when a drill's policy approved, a waiver
   * of the people), and how, in the evidence pack's own words for it.
   */
  violations: { key: string; runId: string; person: string; kind: 'approver-operated' | 'requester-operated' | 'approved-by-policy' }[];
  /** Drills that failed, or succeeded past an objective, by bundle key. */
  failingDrills: string[];
  /** Findings bundles written besides the runs: one snapshot per runbook and target that had a finding. */
  findingsBundles: number;
  /** Every finding of the year as the snapshots hold it: opened by a failing runbook drill, closed or still open. */
  findings: AuditFinding[];
}

/** Who tests what, and how often (weights): a plan's runs bring their member runs with them. */
const subjects = [
  { kind: 'runbook', id: 'region-failover', target: 'booking', weight: 4 },
  { kind: 'runbook', id: 'region-failover', target: 'checkin', weight: 3 },
  { kind: 'runbook', id: 'region-failover', target: 'loyalty', weight: 2 },
  { kind: 'runbook', id: 'region-failback', target: 'booking', weight: 2 },
  { kind: 'runbook', id: 'isolate-vendor-module', target: 'fleet', weight: 2 },
  { kind: 'plan', id: 'evacuate-region', target: 'A', weight: 1 },
] as const;

/** The plan's members, as its definition runs them: one failover after another. */
const planMembers = [
  { member: 'booking', runbook: 'region-failover', target: 'booking' },
  { member: 'checkin', runbook: 'region-failover', target: 'checkin' },
] as const;

const requesters = ['alice', 'erin'] as const;
const approvers = ['bob', 'carol'] as const;

/**
 * Writes `runs` sealed run bundles finishing through `year` (2026 unless given) into the store, from `seed`, then one
 * findings bundle per runbook and target whose drills opened findings (see evidence-year-findings.ts). Roughly one in
 * eight drills fails or misses an objective; every 23rd run is a drill whose policy approved it (a waiver of the
 * people), every 29th has its approver also act as operator, and every 31st its requester; a tenth are real runs.
 */
export async function writeEvidenceYear(
  store: EvidenceStore,
  opts: { seed: number; runs: number; signer: ArchiveSigner; roster: YearRoster; year?: number },
): Promise<SimulatedYear> {
  // Each history's decisions verify only against the roster its run loaded, and the re-check insists that is the bundle's.
  const recordedRoster = rosterDigest(Roster.parse(JSON.parse(recordedYear().rosterText)));
  if (rosterDigest(Roster.parse(JSON.parse(opts.roster.text))) !== recordedRoster)
    throw new Error(`the year's bundles must carry the roster its recorded runs loaded (${recordedRoster}): use yearRosterIn`);
  const random = seededRandom(opts.seed);
  const year = opts.year ?? 2026;
  const yearStart = Date.UTC(year, 0, 1);
  const yearMs = Date.UTC(year + 1, 0, 1) - yearStart;
  const previous = new Map<string, string | null>();
  const summary: SimulatedYear = {
    bundles: 0,
    tested: [],
    untested: [],
    scenariosNeverRehearsed: [],
    violations: [],
    failingDrills: [],
    findingsBundles: 0,
    findings: [],
  };
  const rehearsed = new Set<ScenarioTag>();
  const tested = new Set<string>();

  // The closes are signed by keys made for the year, which only the findings bundles' roster lists (evidence-year-closers.ts).
  const closers = await YearClosers.make(opts.roster.text);
  const findings = new YearFindings(closers);

  /** Seals the evidence as the next link of its runbook and target's chain, and stores it. */
  const seal = async (evidence: Omit<RunEvidence, 'files' | 'targetsDigest'>, files: Record<string, string>, roster: YearRoster = opts.roster) => {
    const chain = `${evidence.runbook}\u0000${evidence.target}`;
    const withRoster: Record<string, string> = { ...files, [ROSTER_FILE]: roster.text };
    if (roster.sealText) withRoster[ROSTER_SEAL_FILE] = roster.sealText;
    const bundle = await sealBundle({ ...evidence, files: withRoster, targetsDigest: `sha256:${'0'.repeat(64)}` }, previous.get(chain) ?? null, opts.signer);
    await store.put(bundle);
    const digest = sha256Of(bundle.files[MANIFEST_FILE]!);
    previous.set(chain, digest);
    return { key: bundle.key, digest };
  };

  const archive = async (run: SimulatedRun): Promise<string> => {
    const runId = run.kind === 'plan' ? `plan/${run.id}/${run.target}` : `${run.id}/${run.target}`;
    const bundle = await seal(
      {
        runId,
        temporalRunIds: [run.temporalRunId],
        kind: run.kind,
        // A plan's run is archived under its plan's runbook id, `plan/evacuate-region`, as the worker archives it.
        runbook: run.kind === 'plan' ? planRunbookId(run.id) : run.id,
        target: run.target,
        drill: run.drill !== undefined,
        state: run.state,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
        ...(run.members ? { members: run.members.map((m) => ({ runId: m.runId, manifestDigest: m.manifestDigest })) } : {}),
      },
      runFiles(run),
    );
    summary.bundles++;
    tested.add(run.id);
    for (const tag of run.scenarios) rehearsed.add(tag);
    const failing = run.state !== 'succeeded' ? ('drill-failed' as const) : missedObjective(run) ? ('objective-missed' as const) : undefined;
    if (run.drill && failing) summary.failingDrills.push(bundle.key);
    findings.observe(run, { key: bundle.key, runId }, failing ? { reason: failing } : undefined);
    if (run.approvers.includes('drill-policy')) summary.violations.push({ key: bundle.key, runId, person: 'nobody', kind: 'approved-by-policy' });
    if (run.operator && run.approvers.includes(run.operator.by))
      summary.violations.push({ key: bundle.key, runId, person: run.operator.by, kind: 'approver-operated' });
    if (run.operator && run.operator.by === run.requestedBy)
      summary.violations.push({ key: bundle.key, runId, person: run.operator.by, kind: 'requester-operated' });
    return bundle.digest;
  };

  let index = 0;
  while (summary.bundles < opts.runs) {
    const subject = pick(random, subjects);
    const isPlan = subject.kind === 'plan';
    // A plan is its members' runs and its own: it is only drawn while the count leaves room for all of them.
    if (isPlan && summary.bundles + planMembers.length + 1 > opts.runs) continue;
    const finishedAt = yearStart + Math.floor(((index + random()) * yearMs) / Math.max(opts.runs, 1));
    const shape = runShape(random, index);
    if (isPlan) {
      const members: NonNullable<SimulatedRun['members']> = [];
      for (const [i, m] of planMembers.entries()) {
        const memberRun = simulatedRun({ kind: 'runbook', id: m.runbook, target: m.target }, shape, random, finishedAt - (planMembers.length - i) * 90_000);
        memberRun.state = 'succeeded';
        const manifestDigest = await archive(memberRun);
        members.push({ ...m, runId: `${m.runbook}/${m.target}`, temporalRunId: memberRun.temporalRunId, manifestDigest, ...rto(memberRun) });
      }
      await archive({ ...simulatedRun(subject, shape, random, finishedAt), members });
    } else {
      await archive(simulatedRun(subject, shape, random, finishedAt));
    }
    index++;
  }

  // Each runbook and target's findings as they stand at the year's last second, sealed as the findings workflow seals
  // them (cli/findings/sealed-findings.ts): a findings bundle under `findings/<runbook>/<target>`, which holds no run.
  const at = new Date(Date.UTC(year + 1, 0, 1) - 1000).toISOString();
  const findingsRoster: YearRoster = { text: closers.rosterText, ...(opts.roster.seal ? { sealText: await opts.roster.seal(closers.rosterText) } : {}) };
  for (const { snapshot, closes } of findings.snapshots(at)) {
    const open = snapshot.findings.filter((f) => f.state === 'open').length;
    await seal(
      {
        runId: findingsWorkflowId(snapshot.runbook, snapshot.target),
        temporalRunIds: [`findings-${snapshot.runbook}-${snapshot.target}`],
        kind: 'findings',
        runbook: findingsChainRunbook(snapshot.runbook),
        target: snapshot.target,
        drill: false,
        state: `${open} open, ${snapshot.findings.length - open} closed`,
        startedAt: at,
        finishedAt: at,
      },
      { [FINDINGS_FILE]: `${JSON.stringify(snapshot, null, 2)}\n`, [CLOSES_FILE]: `${JSON.stringify(closes, null, 2)}\n` },
      findingsRoster,
    );
    summary.findingsBundles++;
    summary.findings.push(...snapshot.findings);
  }

  const catalog = [...Object.keys(runbooks), ...Object.keys(plans)].sort();
  summary.tested = catalog.filter((id) => tested.has(id));
  summary.untested = catalog.filter((id) => !tested.has(id));
  summary.scenariosNeverRehearsed = scenarioTags.filter((tag) => !rehearsed.has(tag));
  return summary;
}

/** How one run goes, apart from its subject: real or drill, who acted, how it ended. */
interface RunShape {
  drill?: DrillMode;
  requestedBy: string;
  approvers: string[];
  operator?: { by: string; action: 'retry' | 'skip' };
  state: SimulatedRun['state'];
  /** How far over (above 1) or under its RTO objective the run came in. */
  rtoShare: number;
}

function runShape(random: () => number, index: number): RunShape {
  const requestedBy = pick(random, requesters);
  const otherRequester = requesters.find((r) => r !== requestedBy)!;
  const approver = pick(random, approvers);
  const waiver = index % 23 === 5;
  const drill: DrillMode | undefined =
    random() < 0.1 && !waiver ? undefined : { kind: random() < 0.7 ? 'isolated' : 'live', approvals: waiver ? 'policy' : 'people' };
  const roll = random();
  const state: SimulatedRun['state'] = roll < 0.06 ? 'failed' : roll < 0.08 ? 'aborted' : 'succeeded';
  const operatorBy = index % 29 === 7 ? approver : index % 31 === 11 ? requestedBy : random() < 0.1 ? otherRequester : undefined;
  return {
    ...(drill ? { drill } : {}),
    requestedBy,
    approvers: waiver ? ['drill-policy'] : [approver],
    ...(operatorBy ? { operator: { by: operatorBy, action: random() < 0.8 ? 'retry' : 'skip' } } : {}),
    state,
    rtoShare: random() < 0.06 ? 1.1 + random() * 0.5 : 0.3 + random() * 0.6,
  };
}

function simulatedRun(
  subject: { kind: 'runbook' | 'plan'; id: string; target: string },
  shape: RunShape,
  random: () => number,
  finishedAtMs: number,
): SimulatedRun {
  const definition = subject.kind === 'plan' ? plans[subject.id]! : runbooks[subject.id]!;
  // The real run of this subject its requester made: the bundle carries its history, under its Temporal run ID.
  const recorded = recordedYear().runFor(
    subject.kind === 'plan' ? `plan/${subject.id}/${subject.target}` : `${subject.id}/${subject.target}`,
    shape.requestedBy,
  );
  // A draw once spent on a made-up Temporal run ID, still made so that a seed lays out the same year as it did then.
  random();
  const objectives: Objectives = { ...definition.objectives };
  const rtoSeconds = Math.round((objectives.rtoSeconds ?? 900) * shape.rtoShare);
  const succeeded = shape.state === 'succeeded';
  return {
    kind: subject.kind,
    id: subject.id,
    title: definition.title,
    target: subject.target,
    scenarios: [...(definition.scenarios ?? [])],
    objectives,
    ...(shape.drill ? { drill: shape.drill } : {}),
    state: shape.state,
    temporalRunId: recorded.temporalRunId,
    recorded: { history: recorded.history, namespace: recorded.namespace },
    startedAt: new Date(finishedAtMs - rtoSeconds * 1000).toISOString(),
    finishedAt: new Date(finishedAtMs).toISOString(),
    requestedBy: shape.requestedBy,
    approvers: shape.approvers,
    ...(shape.operator ? { operator: { ...shape.operator, step: 'switchTraffic' } } : {}),
    ...(succeeded ? { rtoSeconds } : {}),
    ...(succeeded && objectives.rpoSeconds !== undefined ? { rpoSeconds: Math.round(objectives.rpoSeconds * random() * shape.rtoShare) } : {}),
  };
}

function missedObjective(run: SimulatedRun): boolean {
  const { rtoSeconds, rpoSeconds } = run.objectives;
  return (rtoSeconds !== undefined && (run.rtoSeconds ?? Infinity) > rtoSeconds) || (rpoSeconds !== undefined && (run.rpoSeconds ?? Infinity) > rpoSeconds);
}

function rto(run: SimulatedRun): { rtoSeconds?: number } {
  return run.rtoSeconds !== undefined ? { rtoSeconds: run.rtoSeconds } : {};
}

function pick<T extends { weight?: number }>(random: () => number, items: readonly T[]): T;
function pick<T>(random: () => number, items: readonly T[]): T;
function pick<T>(random: () => number, items: readonly T[]): T {
  const weights = items.map((item) => (item as { weight?: number }).weight ?? 1);
  let roll = random() * weights.reduce((a, b) => a + b, 0);
  for (const [i, item] of items.entries()) {
    roll -= weights[i]!;
    if (roll < 0) return item;
  }
  return items.at(-1)!;
}

/** A small seeded generator (mulberry32): the same seed gives the same year on every machine. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The roster the recorded runs loaded, written to `dir/roster.json`, and the archive signer it lists (its key copied
 * under `dir/keys`): what a year is sealed with when no roster admins' seal is at hand, so verify runs without a trust
 * root. A test that has the test roster admins seals `dir/roster.json` itself.
 */
export function yearRosterIn(dir: string): { signer: ArchiveSigner; roster: YearRoster } {
  const text = recordedYear().rosterText;
  writeFileSync(join(dir, 'roster.json'), text);
  return { signer: recordedArchiveSigner(join(dir, 'keys')), roster: { text } };
}
