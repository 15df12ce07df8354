import { Roster } from '../../kit/trust';
import type { EvidenceFinding } from '../../lib/evidence/findings';
import { ROSTER_FILE, type EvidenceManifest } from '../../lib/evidence/manifest';
import type { StoredBundle } from '../../lib/evidence/store';
import { FindingsBook } from '../../lib/findings/book';
import { checkClose } from '../../lib/findings/close-check';
import { type ArchivedClose, ArchivedCloses, CLOSES_FILE, CloseBody } from '../../lib/findings/messages';
import { findingsIdentityDigest, findingsWorkflowId } from '../../lib/findings/names';
import { FINDINGS_FILE, FindingsSnapshot, type AuditFinding } from '../../lib/findings/record';
import { runbooks } from '../../runbooks';

/**
 * The re-check of a findings bundle (manifest kind `findings`), from its own files alone: every finding its
 * `findings.json` says is closed must have a signed close in `closes.json`, and each close must pass the findings
 * workflow's own check (lib/findings/close-check.ts) against the bundle's `roster.json`, which the bundle's seal and,
 * given one, the trust root already vouch for: signed by an operator of the runbook (or, for an accepted risk, by a
 * member of a roster risk group), for this findings workflow, naming the finding, with the proof `findings.json`
 * records. The archive key seals what a bundle holds, so an insider holding it can re-seal an edited `findings.json`;
 * a person's signature cannot be made that way, so a finding marked closed without one is named here.
 *
 * Each bundle carries the roster as it was when that bundle was sealed, and every close so far: a close is checked
 * against the roster of the first bundle of its chain that holds it (when it was made), so an operator who later leaves
 * the roster does not undo the closes they signed. The checks therefore run once every bundle in scope has been read.
 *
 * What the archive does not record is taken from the statement itself: the namespace and the findings workflow's first
 * Temporal run ID (an insider who restarts the workflow gives it a new one, and closes signed before stay valid). That a
 * proof drill passed was read from Temporal when the close was made; here only its being the drill the statement names
 * and its ending after the finding opened are checked.
 */
export class FindingsRecheck {
  private readonly held: HeldBundle[] = [];

  /** Reads a findings bundle: what cannot be read is named now, the closes are checked in {@link settle}. */
  note(stored: StoredBundle, manifest: EvidenceManifest): EvidenceFinding[] {
    const read = readBundle(stored, manifest);
    if (Array.isArray(read)) return read;
    this.held.push(read);
    return [];
  }

  /** Checks every close of every bundle noted, each against the roster of the first bundle of its chain holding it. */
  settle(): EvidenceFinding[] {
    const ordered = [...this.held].sort((a, b) => a.chain.localeCompare(b.chain) || a.finishedAt.localeCompare(b.finishedAt) || a.key.localeCompare(b.key));
    const firstRoster = new Map<string, Roster>();
    const findings: EvidenceFinding[] = [];
    for (const bundle of ordered) {
      const rosterOf = (close: ArchivedClose) => {
        const id = `${bundle.chain}\u0000${close.decision.signature}`;
        if (!firstRoster.has(id)) firstRoster.set(id, bundle.roster);
        return firstRoster.get(id)!;
      };
      findings.push(...checkCloses(bundle, rosterOf));
    }
    this.held.length = 0;
    return findings;
  }
}

/** A findings bundle read: its files parsed, its closes still to check. */
interface HeldBundle {
  key: string;
  runId: string;
  chain: string;
  finishedAt: string;
  snapshot: FindingsSnapshot;
  closes: ArchivedClose[];
  roster: Roster;
}

function foundIn(key: string, runId: string) {
  return (message: string, more: Partial<EvidenceFinding> = {}): EvidenceFinding => ({
    key,
    runId,
    check: 'decisions',
    ...more,
    message: `${key}: ${message}`,
  });
}

/** The bundle's findings, closes and roster, or why they cannot be checked. */
function readBundle(stored: StoredBundle, manifest: EvidenceManifest): HeldBundle | EvidenceFinding[] {
  const { key } = stored.address;
  const found = foundIn(key, manifest.runId);
  const snapshot = parsed(stored, FINDINGS_FILE, FindingsSnapshot);
  if (typeof snapshot === 'string') return [found(snapshot, { file: FINDINGS_FILE })];
  const closes = parsed(stored, CLOSES_FILE, ArchivedCloses);
  if (typeof closes === 'string') return [found(closes, { file: CLOSES_FILE })];
  const roster = parsed(stored, ROSTER_FILE, Roster);
  if (typeof roster === 'string') return [found(roster, { file: ROSTER_FILE })];
  const { runbook, target } = snapshot;
  const workflowId = findingsWorkflowId(runbook, target);
  if (manifest.runId !== workflowId)
    return [found(`${FINDINGS_FILE} holds the findings of ${runbook} on ${target}, which ${workflowId} keeps, not ${manifest.runId}`, { file: FINDINGS_FILE })];
  return { key, runId: manifest.runId, chain: `${manifest.runbook}\u0000${manifest.target}`, finishedAt: manifest.finishedAt, snapshot, closes, roster };
}

/** The closes of one bundle checked, each against `rosterOf` it, and every closed finding shown to have one. */
function checkCloses(bundle: HeldBundle, rosterOf: (close: ArchivedClose) => Roster): EvidenceFinding[] {
  const { snapshot, closes } = bundle;
  const found = foundIn(bundle.key, bundle.runId);
  const { runbook, target } = snapshot;
  const workflowId = findingsWorkflowId(runbook, target);
  const definition = runbooks[runbook];
  // Who may close is the runbook's operator role, which only the catalog says; with nothing closed there is nothing to ask it.
  if (closes.length === 0 && snapshot.findings.every((f) => f.state === 'open')) return [];
  if (!definition)
    return [found(`${FINDINGS_FILE} is for runbook ${runbook}, which this lifeboat does not know, so who may close its findings cannot be checked`)];

  const findings: EvidenceFinding[] = [];
  const byId = new Map(snapshot.findings.map((f) => [f.id, f]));
  // Each close is checked against the book as it stood before it: its own finding still open (the check refuses a close of a closed one).
  const reopened = new FindingsBook(
    runbook,
    target,
    snapshot.findings.map(({ closed: _, ...f }) => ({ ...f, state: 'open' as const })),
  );
  const used = new Set<string>();
  const proven = new Set<string>();
  for (const [index, close] of closes.entries()) {
    const where = { file: CLOSES_FILE, expected: 'a close that verifies', found: `entry ${index + 1} (${close.finding})` };
    const finding = byId.get(close.finding);
    if (!finding || finding.state !== 'closed' || !finding.closed) {
      findings.push(found(`${CLOSES_FILE} holds a close of ${close.finding}, which ${FINDINGS_FILE} does not show closed`, where));
      continue;
    }
    if (proven.has(finding.id)) {
      findings.push(found(`${CLOSES_FILE} holds a second close of ${finding.id}: a finding is closed once`, where));
      continue;
    }
    const statement = statementIdentity(close.decision.statement);
    const roster = rosterOf(close);
    const verdict = checkClose(close.decision, reopened, {
      identity: { namespace: statement.namespace, workflowId, runId: statement.runId, inputDigest: findingsIdentityDigest(runbook, target) },
      roster,
      definition,
      // As the workflow judged it: at the moment it closed the finding.
      nowMs: Date.parse(finding.closed.at),
      used,
    });
    if (!verdict.ok) {
      findings.push(found(`the close of ${finding.id} (by ${verdict.claimed}) does not verify: ${verdict.reason}`, where));
      continue;
    }
    used.add(verdict.decision.nonce);
    const mismatch = recordMismatch(finding, close.finding, verdict.body, verdict.decision.by, roster);
    if (mismatch) {
      findings.push(found(`the close of ${finding.id} by ${verdict.decision.by} does not match what ${FINDINGS_FILE} records: ${mismatch}`, where));
      continue;
    }
    proven.add(finding.id);
  }
  for (const finding of snapshot.findings)
    if (finding.state === 'closed' && !proven.has(finding.id) && !closes.some((c) => c.finding === finding.id))
      findings.push(
        found(
          `${FINDINGS_FILE} says ${finding.id} is closed${finding.closed ? ` by ${finding.closed.by}` : ''}, but ${CLOSES_FILE} holds no signed close of it`,
          {
            file: FINDINGS_FILE,
            expected: `a signed close of ${finding.id} in ${CLOSES_FILE}`,
            found: 'none',
          },
        ),
      );
  return findings;
}

/**
 * Why a verified close does not fit the finding `findings.json` records, or undefined when it does: the close must be
 * filed under the finding it names, by the person, with the comment and the proof recorded.
 */
function recordMismatch(finding: AuditFinding, filedAs: string, body: CloseBody, by: string, roster: Roster): string | undefined {
  const closed = finding.closed!;
  if (body.finding !== filedAs) return `it is filed as a close of ${filedAs}, but its statement closes ${body.finding}`;
  if (closed.by !== by) return `it is signed by ${by}, but ${finding.id} is recorded as closed by ${closed.by}`;
  if (closed.comment !== body.comment) return `its comment is "${body.comment}", but the recorded one is "${closed.comment}"`;
  const proof = closed.proof;
  if (body.proof === 'drill') {
    if (proof.kind !== 'passing-drill') return `its proof is drill ${body.drill} (${body.drillRun}), but the recorded proof is an accepted risk`;
    if (proof.runId !== body.drill || proof.temporalRunId !== body.drillRun)
      return `its proof is drill ${body.drill} (${body.drillRun}), but the recorded proof is drill ${proof.runId} (${proof.temporalRunId})`;
    // The workflow takes only a drill that ended after the finding opened: an earlier one cannot prove a fix.
    if (Date.parse(proof.finishedAt) <= Date.parse(finding.openedAt))
      return `its proof drill finished at ${proof.finishedAt}, before ${finding.id} opened at ${finding.openedAt}`;
    return undefined;
  }
  if (proof.kind !== 'risk-accepted') return `it accepts the risk, but the recorded proof is drill ${proof.runId}`;
  if (proof.by !== by || proof.comment !== body.comment) return `the recorded risk acceptance is by ${proof.by}, with another comment`;
  const person = roster.people.find((p) => p.id === by);
  if (!(roster.riskAcceptance ?? []).includes(proof.group) || !person?.groups.includes(proof.group))
    return `the risk is recorded as accepted for group ${proof.group}, which is not a risk acceptance group ${by} is in`;
  return undefined;
}

/** The namespace and first run a statement names; empty when unreadable (the close check then says what is wrong). */
function statementIdentity(statement: string): { namespace: string; runId: string } {
  try {
    const json = JSON.parse(statement) as { namespace?: unknown; runId?: unknown };
    return { namespace: typeof json.namespace === 'string' ? json.namespace : '', runId: typeof json.runId === 'string' ? json.runId : '' };
  } catch {
    return { namespace: '', runId: '' };
  }
}

/** A bundle's JSON file read through its schema, or why it cannot be. */
function parsed<T>(stored: StoredBundle, name: string, schema: { safeParse(data: unknown): { success: true; data: T } | { success: false } }): T | string {
  const bytes = stored.files[name];
  if (!bytes) return `it holds no ${name}, so its closes cannot be checked again`;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    return `${name} is not JSON (${(err as Error).message}), so its closes cannot be checked again`;
  }
  const result = schema.safeParse(json);
  return result.success ? result.data : `${name} is not what a findings bundle holds, so its closes cannot be checked again`;
}
