import type { ScenarioTag } from '../../../kit/trust';
import type { AuditFinding } from '../../findings/record';
import type { EvidenceCheck } from '../findings';

/**
 * The evidence pack: what an examiner is handed for a period, assembled from the sealed archive alone. Everything in
 * it is sorted and carries no clock of its own, so two packs of the same archive and period are equal.
 */
export interface EvidencePack {
  lifeboat: 'evidence-pack/v1';
  /** The period, as ISO times in UTC: runs that finished within it, both ends included. */
  period: { since: string; until: string };
  /** Where the archive is: a folder or `s3://bucket/prefix`. */
  archive: string;
  integrity: PackIntegrity;
  /** Each runbook and plan of the catalog, then any the archive holds runs of that the catalog no longer has. */
  subjects: PackSubject[];
  independence: PackIndependence;
  findings: PackFindings;
  coverage: PackCoverage;
  totals: { tests: number; drills: number; realRuns: number; passed: number; failed: number };
}

/** Every seal and hash chain of the archive, checked: the first thing the pack states. */
export interface PackIntegrity {
  ok: boolean;
  /** Bundles and chains checked: the whole archive, not only the period. */
  bundles: number;
  chains: number;
  /** Whether each bundle's roster was checked against the workers' trust root (else each roster vouches for itself). */
  rostersAnchored: boolean;
  /** Whether every signed decision was checked again from the archived histories (else only files, seals and chains). */
  decisionsRechecked: boolean;
  /** Each thing that does not verify, as `lifeboat evidence verify` names it. */
  failures: { key: string; check: EvidenceCheck; message: string }[];
}

/** The objectives a runbook or plan is measured against, in seconds. */
export interface PackObjectives {
  rtoSeconds?: number;
  rpoSeconds?: number;
}

/** A runbook or plan and the tests of it in the period. */
export interface PackSubject {
  kind: 'runbook' | 'plan';
  id: string;
  title: string;
  scenarios: ScenarioTag[];
  objectives: PackObjectives;
  /** False for a runbook or plan the archive holds runs of and the catalog no longer has. */
  inCatalog: boolean;
  tests: PackTest[];
}

/** One objective of one test: the target and what the test achieved. */
export interface PackObjectiveResult {
  objective: 'rto' | 'rpo';
  targetSeconds: number;
  achievedSeconds?: number;
  met: boolean;
  /** For RTO: from the detection of the outage, or from the run's start. */
  countedFrom?: 'detection' | 'run start';
}

/** The forecast a plan made before its decision, beside what it then took. */
export interface PackForecast {
  medianSeconds?: number;
  minSeconds?: number;
  maxSeconds?: number;
  /** What the plan took after its decision (the forecast counts work, not the wait for people). */
  actualSeconds?: number;
  errorSeconds?: number;
  withinRange?: boolean;
}

/** One member run of a plan's test. */
export interface PackMember {
  member: string;
  runbook: string;
  target: string;
  state: string;
  rtoSeconds?: number;
}

/** One test: a drill or a real run, as its bundle records it. */
export interface PackTest {
  /** The bundle's key in the archive. */
  key: string;
  runId: string;
  target: string;
  drill: boolean;
  /** How the run ended: succeeded, failed, aborted, ... */
  state: string;
  startedAt: string;
  finishedAt: string;
  scenarios: ScenarioTag[];
  /** Where the scenarios and objectives come from: the bundle's own definition.json, or (older bundles) today's catalog. */
  definitionFrom: 'bundle' | 'catalog' | 'none';
  objectives: PackObjectiveResult[];
  rtoSeconds?: number;
  rpoSeconds?: number;
  forecast?: PackForecast;
  /** For a plan: its members, as its report lists them. */
  members?: PackMember[];
  result: 'pass' | 'fail';
  /** Why it failed, in sentences; empty when it passed. */
  why: string[];
  /** Whether its bundle verified (seal, files, chain). */
  verified: boolean;
}

/** Who took part in one run's decisions, by role. */
export interface RunPeople {
  key: string;
  runId: string;
  finishedAt: string;
  drill: boolean;
  requester: string;
  /** Each vote, as `person (gate: approve)`; policy and expiry are listed as cases, not people. */
  approvals: { by: string; gate: string; decision: string }[];
  /** Each operator decision: retry, skip, abort, resume, resolve, a hands-on task. */
  operators: { by: string; action: string; on: string }[];
  /** How many decisions the run's verify result lists (signed start, votes, operator decisions). */
  decisions: number;
  /** Whether the run's people were distinct in their roles; false when any case below names this run. */
  distinct: boolean;
  /** Whether the run's people could be read (a report or a verify result); false leaves its independence unknown. */
  known: boolean;
}

/** A case where the people of a run were not distinct, or no person decided. */
export interface IndependenceCase {
  key: string;
  runId: string;
  finishedAt: string;
  /** The person, or `nobody` when a gate passed without a person's approval. */
  person: string;
  kind: 'requester-approved' | 'requester-operated' | 'approver-operated' | 'approved-by-policy' | 'expired-and-proceeded' | 'unknown';
  what: string;
}

export interface PackIndependence {
  runs: RunPeople[];
  cases: IndependenceCase[];
}

/** One audit finding as the pack shows it: opened in the period, closed in it, or still open at its end. */
export interface PackFinding extends AuditFinding {
  /** Whether it is past its deadline and open at the snapshot. */
  overdue: boolean;
}

export interface PackFindings {
  /** Findings snapshots read (the newest in the period for each runbook and target); 0 when the archive holds none. */
  snapshots: number;
  opened: PackFinding[];
  closed: PackFinding[];
  stillOpen: PackFinding[];
}

export interface PackCoverage {
  /** Runbooks and plans of the catalog with no test in the period, as `kind id`. */
  untested: { kind: 'runbook' | 'plan'; id: string; title: string }[];
  /** Each scenario with the tests that rehearsed it, passed or not. */
  scenarios: { scenario: ScenarioTag; tests: number; passed: number }[];
  /** Scenarios no test in the period rehearsed. */
  neverRehearsed: ScenarioTag[];
  /** The services of the targets file; undefined when no targets file was read. */
  services?: { service: string; plans: string[]; runbooks: string[] }[];
  /** Services of the targets file that no tested plan covers (a plan whose members ran on them). */
  uncoveredServices?: string[];
}
