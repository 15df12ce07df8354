import type { TrustRoot } from '../../roster-seal';
import type { EvidenceStore } from '../store';
import { verifyArchive, type DecisionRecheck } from '../verify-archive';
import { readBundleFiles, type ManifestFields, type ReadBundle } from './bundle-files';
import { coverageOf } from './coverage';
import { catalogRecordFor, type DefinitionRecord } from './definition-record';
import { findingsOfPeriod } from './findings-of-period';
import { runPeople } from './independence';
import { testRecord } from './test-record';
import type { EvidencePack, IndependenceCase, PackIntegrity, PackSubject, RunPeople } from './types';

/** What a pack is made of besides the archive: the period, and what the archive is held against. */
export interface EvidencePackOptions {
  since: Date;
  until: Date;
  /** Every runbook and plan the site runs (catalogRecords of runbooks/ and plans/): what coverage counts as untested. */
  catalog: readonly DefinitionRecord[];
  /** The service names of the targets file; left out, the pack says no targets file was read. */
  targets?: readonly string[];
  /** The workers' trust root: each bundle's roster must be one its roster admins sealed. */
  trustRoot?: TrustRoot;
  /**
   * Checks every signed decision again from each bundle's archived history, as `lifeboat evidence verify` does (the CLI
   * passes `decisionRecheckFor`), so the pack and that command agree on what verifies.
   */
  recheck?: DecisionRecheck;
}

/** How many bundles are read at once, as `verifyArchive` does. */
const parallelReads = 8;

/**
 * Assembles the evidence pack of a period from the archive alone (no Temporal): every test of every runbook and plan
 * with its scenarios, objectives and result; who decided each run; the audit findings; what was not tested; and every
 * seal and chain of the archive checked. The pack is a value: the same archive, period and catalog give an equal pack.
 */
export async function buildEvidencePack(store: EvidenceStore, options: EvidencePackOptions): Promise<EvidencePack> {
  const verification = await verifyArchive(store, undefined, {
    ...(options.trustRoot ? { trustRoot: options.trustRoot } : {}),
    ...(options.recheck ? { recheck: options.recheck } : {}),
  });
  const integrity: PackIntegrity = {
    ok: verification.ok,
    bundles: verification.bundles.length,
    chains: verification.chains,
    rostersAnchored: verification.rostersAnchored,
    decisionsRechecked: verification.decisionsRechecked,
    failures: verification.findings
      .map((f) => ({ key: f.key, check: f.check, message: f.message }))
      .sort((a, b) => compare(a.key, b.key) || compare(a.check, b.check) || compare(a.message, b.message)),
  };
  const failing = new Set(integrity.failures.map((f) => f.key));

  const bundles = await readPeriod(store, options.since, options.until);
  const runs = bundles
    .filter((b): b is ReadBundle & { manifest: ManifestFields } => b.manifest !== undefined && b.findings === undefined)
    .filter((b) => b.manifest.kind === 'runbook' || b.manifest.kind === 'plan');

  const subjects = new Map<string, PackSubject>();
  for (const entry of options.catalog) subjects.set(`${entry.kind}\u0000${entry.id}`, subjectOf(entry, true));
  const people: RunPeople[] = [];
  const cases: IndependenceCase[] = [];
  for (const run of runs) {
    const kind = run.manifest.kind as DefinitionRecord['kind'];
    const entry = catalogRecordFor(options.catalog, kind, run.manifest.runbook);
    const id = entry?.id ?? run.definition?.id ?? (kind === 'plan' ? run.manifest.runbook.replace(/^plan\//, '') : run.manifest.runbook);
    const subjectKey = `${kind}\u0000${id}`;
    if (!subjects.has(subjectKey))
      subjects.set(subjectKey, {
        ...subjectOf(run.definition ?? { kind, id, title: run.report?.title ?? id, scenarios: [], objectives: {} }, false),
        id,
      });
    subjects.get(subjectKey)!.tests.push(testRecord(run, entry, !failing.has(run.key)));
    const read = runPeople(run);
    people.push(read.people);
    cases.push(...read.cases);
  }

  // The catalog's runbooks, then its plans, then what only the archive remembers; each by id.
  const rank = (s: PackSubject) => (s.inCatalog ? 0 : 2) + (s.kind === 'runbook' ? 0 : 1);
  const ordered = [...subjects.values()].sort((a, b) => rank(a) - rank(b) || compare(a.id, b.id));
  for (const subject of ordered) subject.tests.sort((a, b) => compare(a.finishedAt, b.finishedAt) || compare(a.key, b.key));
  const tests = ordered.flatMap((s) => s.tests);
  const byTime = <T extends { finishedAt: string; key: string }>(a: T, b: T) => compare(a.finishedAt, b.finishedAt) || compare(a.key, b.key);
  return {
    lifeboat: 'evidence-pack/v1',
    period: { since: options.since.toISOString(), until: options.until.toISOString() },
    archive: store.location,
    integrity,
    subjects: ordered,
    independence: {
      runs: people.sort(byTime),
      cases: cases.sort((a, b) => byTime(a, b) || compare(a.kind, b.kind) || compare(a.person, b.person)),
    },
    findings: findingsOfPeriod(bundles, { since: options.since.toISOString(), until: options.until.toISOString() }),
    coverage: coverageOf(ordered, options.targets),
    totals: {
      tests: tests.length,
      drills: tests.filter((t) => t.drill).length,
      realRuns: tests.filter((t) => !t.drill).length,
      passed: tests.filter((t) => t.result === 'pass').length,
      failed: tests.filter((t) => t.result === 'fail').length,
    },
  };
}

function subjectOf(entry: Pick<DefinitionRecord, 'kind' | 'id' | 'title' | 'scenarios' | 'objectives'>, inCatalog: boolean): PackSubject {
  return {
    kind: entry.kind,
    id: entry.id,
    title: entry.title,
    scenarios: [...entry.scenarios].sort(),
    objectives: { ...entry.objectives },
    inCatalog,
    tests: [],
  };
}

/** Every bundle that finished in the period, its files read, in the store's order (runbook, target, time). */
async function readPeriod(store: EvidenceStore, since: Date, until: Date): Promise<ReadBundle[]> {
  const addresses = await store.list({ since, until });
  const read: ReadBundle[] = [];
  for (let i = 0; i < addresses.length; i += parallelReads) {
    const batch = await Promise.all(addresses.slice(i, i + parallelReads).map((a) => store.get(a.key)));
    for (const stored of batch) if (stored) read.push(readBundleFiles(stored));
  }
  return read;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
